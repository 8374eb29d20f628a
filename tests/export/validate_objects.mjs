// Validates every document of a `moltbot-supervisord export` YAML stream (file or stdin) offline
// against the Kubernetes 1.27 schemas of kubernetes-models, then looks for fields those schemas
// do not know (the schemas allow unknown fields; an API server drops or refuses them).
// Usage: node validate_objects.mjs [FILE]   Exit 0: every object valid; 1: problems (listed); 2: usage.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);

// A value no schema accepts where it knows a field: not a string, number, boolean, object or
// array of any of those. Null would not do: the schemas accept null for optional fields.
const NOT_ANY_TYPE = [[["?"]]];

function modelFor(object) {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  const module = apiVersion.includes("/") ? `kubernetes-models/${apiVersion}` : `kubernetes-models/v1`;
  try {
    return require(module)[kind] ?? null;
  } catch {
    return null;
  }
}

function schemaErrors(Model, object) {
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    if (!Array.isArray(error.errors)) throw error;
    return error.errors;
  }
}

function pointer(path) {
  return path.map((part) => "/" + String(part).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

function withValue(object, path, value) {
  const copy = structuredClone(object);
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part];
  node[path.at(-1)] = value;
  return copy;
}

// A field is known when putting NOT_ANY_TYPE in its place makes the schema complain there.
// (kubernetes-models strips fields named `description` from its compiled schemas, so one would be
// reported here; the exporter writes none.)
function unknownFields(Model, object, node = object, path = []) {
  const found = [];
  if (Array.isArray(node)) {
    node.forEach((item, i) => found.push(...unknownFields(Model, object, item, [...path, i])));
    return found;
  }
  if (node === null || typeof node !== "object") return found;
  for (const key of Object.keys(node)) {
    const fieldPath = [...path, key];
    if (fieldPath.length === 1 && (key === "apiVersion" || key === "kind")) continue;
    const where = pointer(fieldPath);
    const complaints = schemaErrors(Model, withValue(object, fieldPath, NOT_ANY_TYPE));
    if (!complaints.some((e) => (e.instancePath ?? "").startsWith(where))) found.push(where);
    else found.push(...unknownFields(Model, object, node[key], fieldPath));
  }
  return found;
}

function main() {
  const file = process.argv[2];
  if (process.argv.length > 3) {
    console.error("usage: node validate_objects.mjs [FILE]");
    process.exit(2);
  }
  const documents = parseAllDocuments(readFileSync(file ?? 0, "utf8"));
  const problems = [];
  let count = 0;
  for (const document of documents) {
    if (document.errors.length) {
      problems.push(`YAML: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    count++;
    const label = `${object.kind ?? "?"} ${object.metadata?.name ?? "?"}`;
    const Model = modelFor(object);
    if (!Model) {
      problems.push(`${label}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
      continue;
    }
    for (const e of schemaErrors(Model, object))
      problems.push(`${label}: ${e.instancePath || "/"} ${e.message}`);
    for (const field of unknownFields(Model, object)) problems.push(`${label}: ${field} is not a field of ${object.kind}`);
  }
  if (count === 0) problems.push("no objects in the input");
  for (const problem of problems) console.error(problem);
  console.log(`${count} object(s), ${problems.length} problem(s)`);
  process.exit(problems.length ? 1 : 0);
}

main();
