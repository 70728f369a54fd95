import { notYet } from "./not-yet.ts";

export const report = notYet("minibench report", "Render a result document as a self-contained HTML report");
export const compare = notYet("minibench compare", "Compare two result documents, beyond run-to-run noise");
export const merge = notYet("minibench merge", "Merge result documents of several load generators exactly");
