// Decides generated IAM requests with @cloud-copilot/iam-simulate (runUnsafeSimulation).
// Usage: node iam_crosscheck_runner.js CASES.json DECISIONS.json   (NODE_PATH must reach the package)
const fs = require('fs');
const { runUnsafeSimulation } = require('@cloud-copilot/iam-simulate');

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const decisions = cases.map((c) => {
  const simulation = {
    request: {
      principal: c.caller,
      action: c.action,
      resource: { resource: c.resource, accountId: c.account },
      contextVariables: c.context,
    },
    identityPolicies: c.identity.map((policy, i) => ({ name: `P${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  if (c.boundary.length) {
    simulation.permissionBoundaryPolicies = c.boundary.map((policy, i) => ({ name: `B${i}`, policy }));
  }
  try {
    return runUnsafeSimulation(simulation, {});
  } catch (error) {
    return `error: ${error.message}`;
  }
});
fs.writeFileSync(process.argv[3], JSON.stringify(decisions));
