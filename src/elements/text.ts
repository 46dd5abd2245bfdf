/**
 * Replaceable strings. Every text an element shows is looked up by a key in its `strings` property
 * first, so an app translates an element by assigning a partial map (keys are listed in
 * docs/elements.md); `{name}` placeholders are filled from the parameters.
 */
export type DxcStrings = Readonly<Record<string, string>>;

/** Fills `{param}` placeholders; unknown ones are left as they are. */
export function format(template: string, params: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}
