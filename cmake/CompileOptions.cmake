# Our warning set lives on an INTERFACE target that only our own targets link,
# so third-party headers (included as SYSTEM) never get these flags.
add_library(shopcrm_options INTERFACE)
target_compile_options(shopcrm_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough -Wcast-qual)
if(SHOPCRM_WERROR)
  target_compile_options(shopcrm_options INTERFACE -Werror)
endif()
target_include_directories(shopcrm_options INTERFACE "${PROJECT_SOURCE_DIR}/src")
target_compile_definitions(shopcrm_options INTERFACE
  SHOPCRM_VERSION="${PROJECT_VERSION}")

# shopcrm_module(NAME SOURCES ... DEPS ...): one static library per module;
# the link edges are the layers.
function(shopcrm_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(shopcrm_${name} STATIC ${M_SOURCES})
  target_link_libraries(shopcrm_${name} PUBLIC shopcrm_options ${M_DEPS}
                        PRIVATE ${M_PRIVATE_DEPS})
endfunction()

# shopcrm_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(shopcrm_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE shopcrm_options ${T_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "${T_LABELS}")
endfunction()
