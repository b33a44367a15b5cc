// Validates Kubernetes manifests (a multi-document YAML stream on stdin, e.g. `helm template` output) against the
// JSON Schemas generated from the Kubernetes OpenAPI spec, offline. The schemas come precompiled (Ajv) in the npm
// packages kubernetes-models (Kubernetes API), @kubernetes-models/prometheus-operator (ServiceMonitor) and
// @kubernetes-models/cert-manager (Certificate), which ./build.sh installs into .tools/kubernetes-models.
//
//   node validate-manifests.mjs <node_modules directory> [manifests.yaml]      (stdin without a file)
//
// Prints one JSON line per document: {"apiVersion", "kind", "name", "valid", "errors"}; exits 1 when any document is
// invalid or has no schema, 2 when the input cannot be read. A document with no schema is an error, never a skip.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
if (!modules || !existsSync(join(modules, "kubernetes-models"))) {
  console.error(`usage: node validate-manifests.mjs <node_modules directory with kubernetes-models>; got '${modules ?? ""}'`);
  process.exit(2);
}

const load = (relative) => import(pathToFileURL(join(modules, relative)).href);
const { parseAllDocuments } = await load("yaml/dist/index.js");

// Packages whose files are laid out <group>/<version>/<Kind>.js (the core group is just <version>/<Kind>.js).
const packages = ["kubernetes-models", "@kubernetes-models/prometheus-operator", "@kubernetes-models/cert-manager"];

function modelFile(apiVersion, kind) {
  if (!/^[A-Za-z0-9.-]+(\/[A-Za-z0-9.-]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return null;
  }

  for (const pkg of packages) {
    const file = join(pkg, apiVersion, `${kind}.js`);
    if (existsSync(join(modules, file))) {
      return file;
    }
  }

  return null;
}

let input = "";
if (process.argv[3]) {
  input = readFileSync(process.argv[3], "utf8");
} else {
  for await (const chunk of process.stdin) {
    input += chunk;
  }
}

let failed = false;
const report = (line) => {
  failed ||= !line.valid;
  console.log(JSON.stringify(line));
};

for (const document of parseAllDocuments(input, { uniqueKeys: true, strict: true })) {
  if (document.errors.length > 0) {
    report({ apiVersion: null, kind: null, name: null, valid: false, errors: document.errors.map((e) => e.message).join("; ") });
    continue;
  }

  const manifest = document.toJS();
  if (manifest === null || manifest === undefined) {
    continue; // an empty document (helm leaves them where a template renders nothing)
  }

  const { apiVersion, kind } = manifest;
  const name = manifest.metadata?.name ?? null;
  const file = typeof apiVersion === "string" && typeof kind === "string" ? modelFile(apiVersion, kind) : null;
  if (file === null) {
    report({ apiVersion: apiVersion ?? null, kind: kind ?? null, name, valid: false, errors: "no schema for this apiVersion and kind" });
    continue;
  }

  const model = Object.values(await load(file)).find((m) => typeof m === "function" && m.kind === kind);
  try {
    new model(manifest).validate();
    report({ apiVersion, kind, name, valid: true, errors: null });
  } catch (error) {
    report({ apiVersion, kind, name, valid: false, errors: error.message });
  }
}

process.exit(failed ? 1 : 0);
