# NEWSIDX_SANITIZE=ON builds everything with ASan and UBSan.
#
# NEWSIDX_FUZZ=ON (clang only; docs/fuzzing.md) builds the libFuzzer
# targets of tests/fuzz: it implies NEWSIDX_SANITIZE and compiles every
# target with -fsanitize=fuzzer-no-link (coverage instrumentation without
# libFuzzer's main); the fuzz targets themselves link -fsanitize=fuzzer.
if(NEWSIDX_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "NEWSIDX_FUZZ=ON needs clang: "
      "cmake -DCMAKE_C_COMPILER=clang -DNEWSIDX_FUZZ=ON ...")
  endif()
  if(NOT NEWSIDX_SANITIZE)
    message(STATUS "NEWSIDX_FUZZ=ON implies NEWSIDX_SANITIZE=ON")
    set(NEWSIDX_SANITIZE ON)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(NEWSIDX_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
