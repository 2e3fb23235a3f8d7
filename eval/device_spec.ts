/**
 * A device as a command line names it: `cpu`, `cuda`, `cuda:1`, `webgpu`. The number after the
 * colon picks one GPU of several (ONNX Runtime's `deviceId`); the CPU has none.
 */
import { type Device, DEVICES } from "./session.ts";

/** One device to run a session on. */
export interface DeviceSpec {
  device: Device;
  deviceId?: number;
}

/** Parses "cuda:1" and its kind; throws a RangeError that says what is accepted. */
export function parseDeviceSpec(text: string): DeviceSpec {
  const m = /^([a-z]+)(?::(\d{1,3}))?$/.exec(text);
  const device = m?.[1] as Device | undefined;
  if (!m || !DEVICES.includes(device!) || (device === "cpu" && m[2] !== undefined)) {
    throw new RangeError(
      `device ${JSON.stringify(text).slice(0, 40)} is not one of ${
        DEVICES.join(", ")
      } (a GPU may take an index, cuda:1)`,
    );
  }
  return m[2] === undefined ? { device: device! } : { device: device!, deviceId: Number(m[2]) };
}

/** The spec as the command line writes it. */
export function formatDeviceSpec(d: DeviceSpec): string {
  return d.deviceId === undefined ? d.device : `${d.device}:${d.deviceId}`;
}
