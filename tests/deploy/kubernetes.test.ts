import { describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../support/temp-dir.ts";
import { documentOf } from "../support/compare-documents.ts";

/**
 * The Kubernetes fleet under deploy/kubernetes: the manifests parse, carry the fields the README's
 * walkthrough relies on, and their shell steps do what it says — the generator's step is run
 * with a stand-in binary that prints its arguments, the merge step with the real minibench.
 */

const DIR = join(import.meta.dir, "../../deploy/kubernetes");
const CLI = join(import.meta.dir, "../../src/cli.ts");

type Manifest = Record<string, any>;
const manifests: Manifest[] = readdirSync(DIR)
  .filter((name) => name.endsWith(".yaml"))
  .flatMap((name) => [Bun.YAML.parse(readFileSync(join(DIR, name), "utf8"))].flat() as Manifest[]);
const find = (kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} under deploy/kubernetes`);
  return found;
};

const config = find("ConfigMap", "minibench-fleet");
const generators = find("Job", "minibench-generators");
const merge = find("Job", "minibench-merge");
const pvc = find("PersistentVolumeClaim", "minibench-results");

const container = (job: Manifest) => job.spec.template.spec.containers[0];
const script = (job: Manifest) => container(job).args.join("\n") as string;

/** Runs a container's shell step locally with the environment the ConfigMap gives it. */
async function runStep(text: string, env: Record<string, string>) {
  const child = Bun.spawn(["sh", "-c", text], { env: { PATH: process.env.PATH!, ...config.data, ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, code };
}

describe("deploy/kubernetes", () => {
  test("the generators are an Indexed Job running all of them at once, as many as the ConfigMap says", () => {
    expect(generators.apiVersion).toBe("batch/v1");
    expect(generators.spec.completionMode).toBe("Indexed");
    expect(generators.spec.parallelism).toBe(generators.spec.completions);
    expect(String(generators.spec.completions)).toBe(config.data.GENERATORS);
    // A retry would start after --start-at and run alone.
    expect(generators.spec.backoffLimit).toBe(0);
    expect(generators.spec.template.spec.restartPolicy).toBe("Never");
  });

  test("every pod downloads the release binary into a shared emptyDir, checksum verified", () => {
    for (const job of [generators, merge]) {
      const spec = job.spec.template.spec;
      const [init] = spec.initContainers;
      const download = init.args.join("\n");
      expect(download).toContain('"$MINIBENCH_RELEASE_URL/minibench-linux-x64"');
      expect(download).toContain("sha256sum -c");
      expect(spec.volumes.find((v: Manifest) => v.name === "bin")).toEqual({ name: "bin", emptyDir: {} });
      for (const c of [init, container(job)]) expect(c.volumeMounts).toContainEqual({ name: "bin", mountPath: "/opt/minibench" });
      expect(container(job).envFrom).toContainEqual({ configMapRef: { name: "minibench-fleet" } });
    }
  });

  test("generators and merge share the results claim, mounted at /results; the claim is ReadWriteMany", () => {
    expect(pvc.spec.accessModes).toEqual(["ReadWriteMany"]);
    for (const job of [generators, merge]) {
      expect(job.spec.template.spec.volumes).toContainEqual({ name: "results", persistentVolumeClaim: { claimName: "minibench-results" } });
      expect(container(job).volumeMounts).toContainEqual({ name: "results", mountPath: "/results" });
    }
    expect(find("Pod", "minibench-results").spec.volumes).toContainEqual({ name: "results", persistentVolumeClaim: { claimName: "minibench-results" } });
  });

  test("generator i runs its share of the rate, with the common --start-at, into /results/gen-i.json", async () => {
    const dir = tempDir("k8s");
    const stub = join(dir, "minibench");
    writeFileSync(stub, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
    chmodSync(stub, 0o755);
    const step = script(generators).replaceAll("/opt/minibench/minibench", stub);
    const env = { START_AT: "1767322800000", TOTAL_RPS: "3001", GENERATORS: "3" };
    const argsOf = async (index: number) => {
      const { stdout, code } = await runStep(step, { ...env, JOB_COMPLETION_INDEX: String(index) });
      expect(code).toBe(0);
      return stdout.trim().split("\n");
    };
    const all = await Promise.all([0, 1, 2].map(argsOf));
    const value = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
    // 3001 over 3: shares that add up exactly.
    expect(all.map((args) => Number(value(args, "--rps")))).toEqual([1001, 1000, 1000]);
    for (const [i, args] of all.entries()) {
      expect(args.slice(0, 3)).toEqual(["bench", "open", config.data.TARGET_URL]);
      expect(value(args, "--start-at")).toBe(env.START_AT);
      expect(value(args, "--out")).toBe(`/results/gen-${i}.json`);
      expect(value(args, "--duration")).toBe(config.data.DURATION);
      expect(value(args, "--concurrency")).toBe(config.data.CONCURRENCY);
    }
    // Without a start time, or with more pods than GENERATORS, the pod fails instead of running alone.
    expect((await runStep(step, { ...env, START_AT: "", JOB_COMPLETION_INDEX: "0" })).code).not.toBe(0);
    const extra = await runStep(step, { ...env, JOB_COMPLETION_INDEX: "3" });
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("make the Job's completions equal GENERATORS");
  });

  test("the merge step merges gen-0 … gen-(N−1) with minibench merge and renders the report", async () => {
    const results = tempDir("k8s-results");
    const binary = join(results, "minibench-cli");
    writeFileSync(binary, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(binary, 0o755);
    const step = script(merge).replaceAll("/opt/minibench/minibench", binary).replaceAll("/results", results);
    expect(step).toContain("merge $files -o all.json");
    expect(step).toContain("report all.json -o all.html");

    const open = { phase: "open" as const, targetRps: 1000, concurrency: 800, options: { kind: "open", rateRps: 1000, concurrency: 800 } };
    writeFileSync(join(results, "gen-0.json"), JSON.stringify(documentOf(open)));
    writeFileSync(join(results, "gen-1.json"), JSON.stringify(documentOf(open)));
    const missing = await runStep(step, { GENERATORS: "3" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("gen-2.json is missing");

    writeFileSync(join(results, "gen-2.json"), JSON.stringify(documentOf(open)));
    const { code, stderr } = await runStep(step, { GENERATORS: "3" });
    expect(code).toBe(0);
    expect(stderr).toContain("merged 3 documents (3 generators)");
    expect(JSON.parse(readFileSync(join(results, "all.json"), "utf8")).runs[0].targetRps).toBe(3000);
    expect(readFileSync(join(results, "all.html"), "utf8")).toStartWith("<!DOCTYPE html>");
  });
});
