/** Engine benchmarks: peak MatMul rate, and per-model load, throughput, FLOPs and memory. */
export * from "./peak_matmul.ts";
export * from "./model_bench.ts";
export * from "./op_profile.ts";
export * from "./adapter_bench.ts";
