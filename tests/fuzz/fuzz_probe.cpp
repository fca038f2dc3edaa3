// Configure-time probe (tests/fuzz/meson.build): does clang++ link a libFuzzer target with the sanitizers?
extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }
