// The fixed vocabulary of the demo mall: categories, stores, product names,
// people's names, places, occupations, search words and review texts.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shopcrm::profiles::internal {

struct DemoCategory {
  std::string_view id;
  std::string_view name;
  std::string_view name_en;
  std::string_view parent;  // empty for a top-level category
};

inline constexpr std::array<DemoCategory, 32> kDemoCategories = {{
    {"cat-apparel", "服装", "Apparel", ""},
    {"cat-apparel-women", "女装", "Womenswear", "cat-apparel"},
    {"cat-apparel-men", "男装", "Menswear", "cat-apparel"},
    {"cat-apparel-kids", "童装", "Kidswear", "cat-apparel"},
    {"cat-apparel-shoes", "鞋靴", "Shoes", "cat-apparel"},
    {"cat-digital", "数码", "Electronics", ""},
    {"cat-digital-phones", "手机", "Phones", "cat-digital"},
    {"cat-digital-computers", "电脑办公", "Computers", "cat-digital"},
    {"cat-digital-audio", "耳机音箱", "Audio", "cat-digital"},
    {"cat-digital-wearables", "智能穿戴", "Wearables", "cat-digital"},
    {"cat-beauty", "美妆", "Beauty", ""},
    {"cat-beauty-skincare", "护肤", "Skincare", "cat-beauty"},
    {"cat-beauty-makeup", "彩妆", "Makeup", "cat-beauty"},
    {"cat-beauty-fragrance", "香水", "Fragrance", "cat-beauty"},
    {"cat-food", "食品", "Food", ""},
    {"cat-food-snacks", "休闲零食", "Snacks", "cat-food"},
    {"cat-food-fresh", "生鲜", "Fresh food", "cat-food"},
    {"cat-food-drinks", "酒水饮料", "Drinks", "cat-food"},
    {"cat-food-tea", "茗茶", "Tea", "cat-food"},
    {"cat-home", "家居", "Home", ""},
    {"cat-home-bedding", "家纺", "Bedding", "cat-home"},
    {"cat-home-kitchen", "厨具", "Kitchenware", "cat-home"},
    {"cat-home-storage", "收纳整理", "Storage", "cat-home"},
    {"cat-home-furniture", "家具", "Furniture", "cat-home"},
    {"cat-baby", "母婴", "Mother & baby", ""},
    {"cat-baby-formula", "奶粉辅食", "Formula", "cat-baby"},
    {"cat-baby-diapers", "尿裤湿巾", "Diapers", "cat-baby"},
    {"cat-baby-toys", "玩具", "Toys", "cat-baby"},
    {"cat-sports", "运动户外", "Sports & outdoors", ""},
    {"cat-sports-fitness", "健身器材", "Fitness", "cat-sports"},
    {"cat-sports-outdoor", "户外装备", "Outdoor gear", "cat-sports"},
    {"cat-sports-wear", "运动服饰", "Sportswear", "cat-sports"},
}};

struct DemoStore {
  std::string_view id;
  std::string_view name;
  std::string_view brand;  // prefixed to its product names
  std::string_view city;
  std::string_view province;
  std::string_view top_category;  // what it sells; empty for the platform's own store
};

inline constexpr std::array<DemoStore, 20> kDemoStores = {{
    {"S00", "商城自营", "自营", "上海", "上海市", ""},
    {"S01", "云裳女装旗舰店", "云裳", "杭州", "浙江省", "cat-apparel"},
    {"S02", "墨白男装", "墨白", "广州", "广东省", "cat-apparel"},
    {"S03", "步履鞋靴专营店", "步履", "泉州", "福建省", "cat-apparel"},
    {"S04", "极客派数码旗舰店", "极客派", "深圳", "广东省", "cat-digital"},
    {"S05", "声海音频", "声海", "深圳", "广东省", "cat-digital"},
    {"S06", "未来穿戴", "未来", "北京", "北京市", "cat-digital"},
    {"S07", "花间集美妆", "花间集", "上海", "上海市", "cat-beauty"},
    {"S08", "素颜护肤馆", "素颜", "广州", "广东省", "cat-beauty"},
    {"S09", "山野零食铺", "山野", "长沙", "湖南省", "cat-food"},
    {"S10", "鲜丰生鲜", "鲜丰", "上海", "上海市", "cat-food"},
    {"S11", "茶语轩", "茶语轩", "福州", "福建省", "cat-food"},
    {"S12", "暖居家纺", "暖居", "南通", "江苏省", "cat-home"},
    {"S13", "厨艺坊", "厨艺坊", "佛山", "广东省", "cat-home"},
    {"S14", "整理控收纳", "整理控", "金华", "浙江省", "cat-home"},
    {"S15", "贝贝乐母婴", "贝贝乐", "上海", "上海市", "cat-baby"},
    {"S16", "童趣玩具城", "童趣", "汕头", "广东省", "cat-baby"},
    {"S17", "动力健身", "动力", "厦门", "福建省", "cat-sports"},
    {"S18", "山行户外", "山行", "北京", "北京市", "cat-sports"},
    {"S19", "跃动运动", "跃动", "晋江", "福建省", "cat-sports"},
}};

// Per leaf category: what its products are called and what they cost (yuan).
struct DemoLeaf {
  std::string_view category;
  std::array<std::string_view, 6> items;
  int64_t min_yuan;
  int64_t max_yuan;
  std::array<std::string_view, 3> searches;
};

inline constexpr std::array<DemoLeaf, 25> kDemoLeaves = {{
    {"cat-apparel-women",
     {"真丝连衣裙", "针织开衫", "高腰牛仔裤", "轻薄羽绒服", "雪纺衬衫", "百褶半身裙"},
     89,
     699,
     {"连衣裙", "针织开衫 女", "羽绒服 女"}},
    {"cat-apparel-men",
     {"商务衬衫", "休闲夹克", "纯棉T恤", "修身西裤", "连帽卫衣", "羊毛大衣"},
     69,
     899,
     {"男士衬衫", "卫衣 男", "夹克"}},
    {"cat-apparel-kids",
     {"儿童卫衣", "宝宝连体衣", "童装套装", "儿童羽绒服", "女童公主裙", "男童运动裤"},
     49,
     399,
     {"童装", "儿童羽绒服", "宝宝衣服"}},
    {"cat-apparel-shoes",
     {"真皮单鞋", "小白鞋", "马丁靴", "休闲板鞋", "通勤高跟鞋", "老爹鞋"},
     129,
     799,
     {"小白鞋", "马丁靴", "高跟鞋"}},
    {"cat-digital-phones",
     {"5G智能手机", "折叠屏手机", "快充数据线", "手机壳", "无线充电器", "钢化膜"},
     19,
     6999,
     {"手机", "5G手机", "充电器"}},
    {"cat-digital-computers",
     {"轻薄笔记本", "机械键盘", "无线鼠标", "27英寸显示器", "移动硬盘", "平板电脑"},
     79,
     7999,
     {"笔记本电脑", "机械键盘", "显示器"}},
    {"cat-digital-audio",
     {"降噪蓝牙耳机", "真无线耳机", "蓝牙音箱", "头戴式耳机", "运动耳机", "智能音箱"},
     99,
     1999,
     {"蓝牙耳机", "降噪耳机", "音箱"}},
    {"cat-digital-wearables",
     {"智能手表", "运动手环", "儿童电话手表", "智能体脂秤", "健康手环", "表带"},
     39,
     2499,
     {"智能手表", "手环", "电话手表"}},
    {"cat-beauty-skincare",
     {"保湿面霜", "精华液", "洗面奶", "补水面膜", "防晒霜", "眼霜"},
     59,
     899,
     {"面霜", "精华", "防晒"}},
    {"cat-beauty-makeup",
     {"哑光口红", "气垫粉底", "眼影盘", "睫毛膏", "定妆喷雾", "腮红"},
     49,
     459,
     {"口红", "粉底", "眼影"}},
    {"cat-beauty-fragrance",
     {"淡香水", "香水小样套装", "车载香薰", "香氛身体乳", "木质调香水", "花果香水"},
     69,
     1299,
     {"香水", "香水 女", "香薰"}},
    {"cat-food-snacks",
     {"每日坚果", "牛肉干", "手撕面包", "芒果干", "辣条礼包", "海苔脆片"},
     19,
     129,
     {"零食", "坚果", "牛肉干"}},
    {"cat-food-fresh",
     {"智利车厘子", "阳光玫瑰葡萄", "澳洲牛排", "三文鱼刺身", "散养土鸡蛋", "有机蔬菜箱"},
     29,
     399,
     {"车厘子", "牛排", "水果"}},
    {"cat-food-drinks",
     {"精酿啤酒", "气泡水整箱", "红酒礼盒", "冷萃咖啡", "椰子水", "酱香白酒"},
     29,
     1599,
     {"啤酒", "咖啡", "白酒"}},
    {"cat-food-tea",
     {"明前龙井", "正山小种", "安溪铁观音", "云南普洱", "茉莉花茶", "白茶饼"},
     59,
     899,
     {"龙井", "普洱", "茶叶"}},
    {"cat-home-bedding",
     {"纯棉四件套", "蚕丝被", "记忆棉枕头", "珊瑚绒毯", "乳胶床垫", "夏凉席"},
     79,
     1999,
     {"四件套", "枕头", "蚕丝被"}},
    {"cat-home-kitchen",
     {"不粘炒锅", "陶瓷刀具套装", "电饭煲", "空气炸锅", "保温杯", "砧板"},
     39,
     999,
     {"空气炸锅", "炒锅", "保温杯"}},
    {"cat-home-storage",
     {"收纳箱", "衣架套装", "真空压缩袋", "桌面收纳盒", "鞋柜", "置物架"},
     19,
     399,
     {"收纳箱", "置物架", "衣架"}},
    {"cat-home-furniture",
     {"实木书桌", "人体工学椅", "布艺沙发", "折叠餐桌", "床头柜", "落地衣帽架"},
     199,
     4999,
     {"人体工学椅", "书桌", "沙发"}},
    {"cat-baby-formula",
     {"婴儿奶粉3段", "有机米粉", "儿童成长奶粉", "果泥", "宝宝磨牙棒", "营养面条"},
     29,
     499,
     {"奶粉", "米粉", "辅食"}},
    {"cat-baby-diapers",
     {"拉拉裤", "纸尿裤", "婴儿湿巾", "隔尿垫", "婴儿棉柔巾", "防溢乳垫"},
     29,
     259,
     {"纸尿裤", "湿巾", "拉拉裤"}},
    {"cat-baby-toys",
     {"积木套装", "遥控汽车", "毛绒玩偶", "拼图", "儿童滑板车", "益智早教机"},
     39,
     699,
     {"积木", "玩具车", "毛绒玩具"}},
    {"cat-sports-fitness",
     {"瑜伽垫", "可调哑铃", "跳绳", "筋膜枪", "弹力带", "动感单车"},
     29,
     2999,
     {"瑜伽垫", "哑铃", "筋膜枪"}},
    {"cat-sports-outdoor",
     {"登山鞋", "冲锋衣", "帐篷", "登山杖", "户外背包", "露营折叠椅"},
     69,
     1999,
     {"冲锋衣", "帐篷", "露营"}},
    {"cat-sports-wear",
     {"跑步鞋", "速干T恤", "运动内衣", "篮球鞋", "运动短裤", "瑜伽裤"},
     59,
     999,
     {"跑步鞋", "瑜伽裤", "篮球鞋"}},
}};

inline constexpr std::array<std::string_view, 6> kDemoVariants = {"经典款", "新款",   "升级款",
                                                                  "礼盒装", "家庭装", "限定款"};

struct Weighted {
  std::string_view value;
  uint32_t weight;
};

inline constexpr std::array<Weighted, 40> kDemoSurnames = {{
    {"王", 72}, {"李", 71}, {"张", 68}, {"刘", 54}, {"陈", 45}, {"杨", 32}, {"黄", 25}, {"赵", 22},
    {"吴", 21}, {"周", 20}, {"徐", 17}, {"孙", 16}, {"马", 15}, {"朱", 14}, {"胡", 13}, {"郭", 13},
    {"何", 12}, {"林", 11}, {"高", 11}, {"罗", 11}, {"郑", 10}, {"梁", 9},  {"谢", 8},  {"宋", 8},
    {"唐", 8},  {"许", 7},  {"韩", 7},  {"冯", 7},  {"邓", 7},  {"曹", 6},  {"彭", 6},  {"曾", 6},
    {"肖", 6},  {"田", 5},  {"董", 5},  {"潘", 5},  {"袁", 5},  {"蔡", 4},  {"蒋", 4},  {"欧阳", 1},
}};

inline constexpr std::array<std::string_view, 32> kDemoMaleGiven = {
    "伟", "强", "磊", "军", "洋", "勇", "杰",   "涛",   "明",   "超",  "刚",
    "辉", "鹏", "浩", "宇", "凯", "健", "俊",   "帆",   "旭",   "宁",  "龙",
    "晨", "阳", "博", "文", "昊", "天", "子轩", "浩然", "宇航", "梓豪"};

inline constexpr std::array<std::string_view, 32> kDemoFemaleGiven = {
    "芳",   "娜",   "敏",   "静",   "丽",   "艳",   "娟",   "霞",   "婷",   "雪",  "慧",
    "玲",   "燕",   "颖",   "琳",   "倩",   "晶",   "欣",   "悦",   "月",   "萱",  "琪",
    "佳怡", "梓涵", "诗涵", "雨桐", "欣怡", "可馨", "思雨", "语嫣", "若曦", "紫萱"};

struct DemoCity {
  std::string_view city;
  std::string_view province;
  uint32_t weight;
};

inline constexpr std::array<DemoCity, 36> kDemoCities = {{
    {"上海", "上海市", 110},
    {"北京", "北京市", 100},
    {"广州", "广东省", 80},
    {"深圳", "广东省", 85},
    {"杭州", "浙江省", 55},
    {"成都", "四川省", 55},
    {"重庆", "重庆市", 50},
    {"武汉", "湖北省", 45},
    {"南京", "江苏省", 40},
    {"西安", "陕西省", 38},
    {"苏州", "江苏省", 38},
    {"天津", "天津市", 35},
    {"长沙", "湖南省", 32},
    {"郑州", "河南省", 32},
    {"东莞", "广东省", 28},
    {"青岛", "山东省", 26},
    {"沈阳", "辽宁省", 24},
    {"宁波", "浙江省", 24},
    {"昆明", "云南省", 20},
    {"合肥", "安徽省", 22},
    {"佛山", "广东省", 20},
    {"福州", "福建省", 18},
    {"厦门", "福建省", 18},
    {"济南", "山东省", 18},
    {"哈尔滨", "黑龙江省", 15},
    {"大连", "辽宁省", 14},
    {"南宁", "广西壮族自治区", 12},
    {"贵阳", "贵州省", 11},
    {"石家庄", "河北省", 12},
    {"太原", "山西省", 10},
    {"温州", "浙江省", 12},
    {"无锡", "江苏省", 13},
    {"兰州", "甘肃省", 7},
    {"海口", "海南省", 6},
    {"乌鲁木齐", "新疆维吾尔自治区", 6},
    {"呼和浩特", "内蒙古自治区", 5},
}};

inline constexpr std::array<Weighted, 12> kDemoOccupations = {{
    {"企业职员", 30},
    {"工程师", 12},
    {"教师", 7},
    {"医护人员", 6},
    {"公务员", 5},
    {"销售", 9},
    {"设计师", 5},
    {"个体经营", 8},
    {"自由职业", 7},
    {"程序员", 8},
    {"学生", 0},
    {"退休", 0},
}};

inline constexpr std::array<Weighted, 5> kDemoEducation = {{
    {"高中及以下", 18},
    {"大专", 27},
    {"本科", 42},
    {"硕士", 11},
    {"博士", 2},
}};

inline constexpr std::array<Weighted, 4> kDemoChannels = {{
    {"app", 40},
    {"mini_program", 35},
    {"h5", 15},
    {"offline", 10},
}};

inline constexpr std::array<std::string_view, 22> kDemoPhonePrefixes = {
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
    "152", "155", "156", "158", "159", "166", "176", "177", "186", "188", "199"};

struct DemoCoupon {
  std::string_view code;
  int64_t min_goods_fen;
  int64_t discount_fen;
};

inline constexpr std::array<DemoCoupon, 5> kDemoCoupons = {{
    {"NEW20", 9900, 2000},
    {"618SALE", 10000, 1800},
    {"FULL200-30", 20000, 3000},
    {"DOUBLE11", 30000, 5000},
    {"VIP50", 50000, 5000},
}};

// Review texts by rating (index 0 = one star).
inline constexpr std::array<std::array<std::string_view, 3>, 5> kDemoReviews = {{
    {"质量太差了，和描述不符", "用了两天就坏了，很失望", "客服态度差，不会再买"},
    {"一般般，有点小瑕疵", "物流太慢了", "颜色和图片差别较大"},
    {"还行吧，对得起这个价", "中规中矩", "包装有点简陋，东西还可以"},
    {"挺好的，物流很快", "性价比不错，推荐", "质量可以，下次还来"},
    {"非常满意，五星好评！", "质量超好，已经回购好几次了", "包装精美，送人很有面子"},
}};

}  // namespace shopcrm::profiles::internal
