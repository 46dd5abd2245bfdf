// `custom-elements.json` is generated from the elements' JSDoc (tags, attributes, properties,
// events, slots, parts, CSS properties) by scripts/build-elements.mjs; docs/elements.md must agree.

/**
 * The analyzer also records each `dispatchEvent(new DxcSomethingEvent(...))` as an event without a
 * name; the `@fires` tags already describe those events (with their types), so drop the duplicates.
 */
const dropUnnamedEvents = {
  name: 'dxc-drop-unnamed-events',
  packageLinkPhase({ customElementsManifest }) {
    for (const mod of customElementsManifest.modules) {
      for (const declaration of mod.declarations ?? []) {
        if (declaration.events) declaration.events = declaration.events.filter((event) => event.name);
      }
    }
  },
};

export default {
  globs: ['src/elements/**/*.ts'],
  exclude: ['src/elements/bundle.ts', 'src/elements/**/*.styles.ts'],
  outdir: 'dist',
  litelement: true,
  // package.json names the manifest itself ("customElements"); the analyzer must not rewrite it.
  packagejson: false,
  plugins: [dropUnnamedEvents],
};
