// Decides IAM requests with @cloud-copilot/iam-simulate, an independent
// policy simulator, for kumo's differential test of iamx.Evaluate.
//
//   node iamsim.js < cases.json
//     reads a JSON array of simulations in that package's Simulation form
//     ({request, identityPolicies, resourcePolicy, permissionBoundaryPolicies,
//     serviceControlPolicies, resourceControlPolicies}) and prints one JSON
//     array with, for each, {"decision": "Allowed" | "ImplicitlyDenied" |
//     "ExplicitlyDenied"} or {"error": "..."} when the simulator refused the
//     input, plus "ignored": the context keys it dropped as not applying.
'use strict'
const { runSimulation } = require('@cloud-copilot/iam-simulate')

async function main () {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const out = []
  for (const sim of cases) {
    try {
      const r = await runSimulation(sim, { simulationMode: 'Strict' })
      if (r.resultType === 'error') {
        out.push({ error: r.errors.message || JSON.stringify(r.errors) })
      } else if (r.resultType === 'single') {
        out.push({ decision: r.overallResult, ignored: r.result.ignoredContextKeys || [] })
      } else {
        out.push({ error: 'wildcard result: ' + r.overallResult })
      }
    } catch (e) {
      out.push({ error: String(e && e.message ? e.message : e) })
    }
  }
  process.stdout.write(JSON.stringify(out))
}

main().catch(e => { console.error(e); process.exit(1) })
