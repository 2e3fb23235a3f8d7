/** ONNX graph construction: a protobuf writer and a node-by-node graph builder. */
export * from "./proto.ts";
export * from "./graph_builder.ts";
