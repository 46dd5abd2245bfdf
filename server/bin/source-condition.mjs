// Module resolve hook: prefer the "source" export condition (TypeScript sources of workspace
// packages) so the repository runs without a build step.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'source'] });
}
