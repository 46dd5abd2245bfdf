/**
 * The elements' packaging: the manifest generated from the JSDoc agrees with docs/elements.md, the
 * exports map resolves every entry, and the `sideEffects` list keeps element definitions in a real
 * bundle while letting the rest be dropped.
 *
 * Run: node --import tsx --conditions=source --test test/elements/node/packaging.spec.ts
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { buildManifest } from '../../../scripts/build-elements.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TAGS = ['dxc-login', 'dxc-sync-indicator', 'dxc-user-menu'];

interface Named {
  name: string;
  privacy?: string;
  kind?: string;
}
interface Declaration {
  tagName?: string;
  attributes?: Named[];
  members?: Named[];
  events?: Named[];
  slots?: Named[];
  cssParts?: Named[];
  cssProperties?: Named[];
}

let elements: Declaration[];
let docs: string;

before(() => {
  const manifest = JSON.parse(readFileSync(buildManifest() as string, 'utf8')) as { modules: { declarations?: Declaration[] }[] };
  elements = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.tagName);
  docs = readFileSync(path.join(root, 'docs', 'elements.md'), 'utf8');
});

/** The section of docs/elements.md about one element: from its heading to the next `## `. */
function section(tag: string): string {
  const start = docs.indexOf(`## \`<${tag}>\``);
  assert.notEqual(start, -1, `docs/elements.md has a section for <${tag}>`);
  const end = docs.indexOf('\n## ', start + 1);
  return docs.slice(start, end === -1 ? undefined : end);
}

test('the manifest describes the three elements', () => {
  assert.deepEqual(elements.map((e) => e.tagName).sort(), TAGS);
});

test('docs/elements.md lists every attribute, property, event, slot, part and custom property of the manifest', () => {
  const missing: string[] = [];
  for (const element of elements) {
    const own = section(element.tagName!);
    const publicMembers = (element.members ?? []).filter((m) => m.kind === 'field' && !m.privacy);
    const check = (what: string, items: Named[] | undefined, where: string) => {
      for (const { name } of items ?? []) if (!where.includes(`\`${name}\``)) missing.push(`${element.tagName} ${what} ${name}`);
    };
    // Element-specific items are in the element's section; inherited ones may be in the common section.
    check('attribute', element.attributes, own);
    check('property', publicMembers, docs);
    check('event', element.events, own);
    check('slot', element.slots, own);
    check('part', element.cssParts, own);
    check('custom property', element.cssProperties, docs);
  }
  assert.deepEqual(missing, []);
});

test('docs/elements.md names no custom property, event or part the manifest does not have', () => {
  const manifestProps = new Set(elements.flatMap((e) => (e.cssProperties ?? []).map((p) => p.name)));
  const documentedProps = new Set(docs.match(/--dxc-[\w-]+/g));
  assert.deepEqual([...documentedProps].filter((p) => !manifestProps.has(p)), []);

  const manifestEvents = new Set(elements.flatMap((e) => (e.events ?? []).map((p) => p.name)));
  const documentedEvents = new Set([...docs.matchAll(/^\| `(dxc-[\w-]+)` \| `Dxc\w+Event`/gm)].map((m) => m[1]));
  assert.deepEqual([...documentedEvents].sort(), [...manifestEvents].sort());

  for (const element of elements) {
    const own = section(element.tagName!);
    const table = own.slice(own.indexOf('| part |')).split('\n\n')[0]!;
    const documented = [...table.matchAll(/^\| `([\w-]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented.sort(), (element.cssParts ?? []).map((p) => p.name).sort(), `${element.tagName} parts`);
  }
});

test('package.json names the manifest and exports every element entry', async () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    customElements: string;
    exports: Record<string, unknown>;
  };
  assert.ok(existsSync(path.join(root, pkg.customElements)), 'the customElements file exists after the build');
  assert.equal(pkg.exports['./custom-elements.json'], `./${pkg.customElements}`);
  for (const entry of ['dxc/elements', ...TAGS.map((tag) => `dxc/elements/${tag}`), 'dxc/elements/events', 'dxc/elements/context']) {
    const resolved = fileURLToPath(import.meta.resolve(entry));
    assert.ok(existsSync(resolved), `${entry} resolves to ${resolved}`);
  }
});

/** Bundles `code` as an app would (package.json `sideEffects` honoured) with Lit and Dexie external. */
async function bundle(code: string): Promise<string> {
  const result = await build({
    stdin: { contents: code, resolveDir: root, loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    write: false,
    minify: true,
    conditions: ['source', 'production'],
    external: ['lit', 'lit/*', '@lit/*', 'dexie'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

test('a bundle keeps the definition of each imported element', async () => {
  for (const tag of TAGS) {
    const out = await bundle(`import 'dxc/elements/${tag}';`);
    assert.match(out, new RegExp(`customElements\\.define\\("${tag}"`), `${tag} is defined`);
    for (const other of TAGS.filter((t) => t !== tag)) {
      assert.doesNotMatch(out, new RegExp(`define\\("${other}"`), `${tag} alone does not define ${other}`);
    }
    assert.doesNotMatch(out, /data-dxc-auto/, `${tag} alone does not mount the default dialog`);
  }
  const all = await bundle(`import 'dxc/elements';`);
  for (const tag of TAGS) assert.match(all, new RegExp(`customElements\\.define\\("${tag}"`));
  assert.match(all, /data-dxc-auto/, 'dxc/elements mounts the default dialog');
});

test('a bundle drops the side-effect-free modules that are imported but unused', async () => {
  const out = await bundle(`import 'dxc/elements/events'; import 'dxc/elements/sync-status'; import 'dxc/client';`);
  assert.equal(out.trim(), '', `nothing is left: ${out.slice(0, 200)}`);
});
