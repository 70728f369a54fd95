import { notYet } from "./not-yet.ts";

export const compare = notYet("minibench compare", "Compare two result documents, beyond run-to-run noise");
export const merge = notYet("minibench merge", "Merge result documents of several load generators exactly");
