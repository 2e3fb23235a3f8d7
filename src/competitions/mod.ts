/** Competitions as data: the schedule of what is in force at each block, validated at load. */
export * from "./competition.ts";
export * from "./schedule.ts";
