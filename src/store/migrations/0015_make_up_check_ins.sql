-- Make-up check-ins (补签): a check-in made later for a missed day of the month.
ALTER TABLE check_ins ADD COLUMN made_up INTEGER NOT NULL DEFAULT 0;
