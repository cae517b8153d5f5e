// Scores random CVSS vectors with ae-cvss-calculator (npm, {metæffekt}), an independent implementation of
// all four versions (its v4.0 follows FIRST's current calculator, rounding epsilon included), to give
// ZeroDrift's scorer a reference. Usage, in a folder where `npm install ae-cvss-calculator@1.0.13` was run:
//   node generate.mjs 42 sample 200 > ae-cvss-calculator-sample.tsv     (random vectors of every version)
//   node generate.mjs 1 v4all | cut -f2 | gzip -9n > v4-base-scores.txt.gz  (all 104,976 v4.0 base vectors,
//     scores only, in the enumeration order of AV, AC, AT, PR, UI, VC…SA with values as listed below)
// Columns: vector, then base, temporal, environmental (v2, v3.x; "-" when the vector has none) or base-only
// and overall (v4.0).
import { createRequire } from 'module';
const ae = createRequire(import.meta.url)('ae-cvss-calculator');
const f = x => x === undefined || x === null ? '-' : String(x);
// v2 environmental scores are left out ("-"): ae-cvss-calculator does not round the adjusted base and temporal
// scores the v2 guide's environmental equation rounds (section 3.2.3), so it gives CVE-2002-0392 9.1, not 9.2.
const s3 = (C, s) => { const r = new C(s).calculateScores(); return `${s}\t${f(r.base)}\t${f(r.temporal)}\t${C === ae.Cvss2 ? '-' : f(r.environmental)}`; };
const s4 = s => { const r = new ae.Cvss4P0(s).calculateScores(); return `${s}\t${f(r.baseMetricsOnly)}\t${f(r.overall)}`; };
let seed = Number(process.argv[2] || 1);
const mode = process.argv[3] || 'sample';
function rnd() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }
const pick = a => a[Math.floor(rnd() * a.length)];
function build(prefix, table, optionalChance) {
  const parts = [];
  for (const [name, values, mandatory] of table) {
    if (mandatory || rnd() < optionalChance) parts.push(`${name}:${pick(values)}`);
  }
  return (prefix ? prefix + '/' : '') + parts.join('/');
}
const v2 = [['AV',['L','A','N'],1],['AC',['H','M','L'],1],['Au',['M','S','N'],1],['C',['N','P','C'],1],['I',['N','P','C'],1],['A',['N','P','C'],1],
  ['E',['U','POC','F','H','ND']],['RL',['OF','TF','W','U','ND']],['RC',['UC','UR','C','ND']],['CDP',['N','L','LM','MH','H','ND']],['TD',['N','L','M','H','ND']],['CR',['L','M','H','ND']],['IR',['L','M','H','ND']],['AR',['L','M','H','ND']]];
const xhml = ['X','H','M','L'], xhln = ['X','H','L','N'];
const v3 = [['AV',['N','A','L','P'],1],['AC',['L','H'],1],['PR',['N','L','H'],1],['UI',['N','R'],1],['S',['U','C'],1],['C',['H','L','N'],1],['I',['H','L','N'],1],['A',['H','L','N'],1],
  ['E',['X','H','F','P','U']],['RL',['X','U','W','T','O']],['RC',['X','C','R','U']],['CR',xhml],['IR',xhml],['AR',xhml],['MAV',['X','N','A','L','P']],['MAC',['X','L','H']],['MPR',['X','N','L','H']],['MUI',['X','N','R']],['MS',['X','U','C']],['MC',xhln],['MI',xhln],['MA',xhln]];
const hln = ['H','L','N'];
const v4 = [['AV',['N','A','L','P'],1],['AC',['L','H'],1],['AT',['N','P'],1],['PR',['N','L','H'],1],['UI',['N','P','A'],1],['VC',hln,1],['VI',hln,1],['VA',hln,1],['SC',hln,1],['SI',hln,1],['SA',hln,1],
  ['E',['X','A','P','U']],['CR',xhml],['IR',xhml],['AR',xhml],['MAV',['X','N','A','L','P']],['MAC',['X','L','H']],['MAT',['X','N','P']],['MPR',['X','N','L','H']],['MUI',['X','N','P','A']],
  ['MVC',xhln],['MVI',xhln],['MVA',xhln],['MSC',xhln],['MSI',['X','S','H','L','N']],['MSA',['X','S','H','L','N']],['S',['X','N','P']],['AU',['X','N','Y']],['R',['X','A','U','I']],['V',['X','D','C']],['RE',['X','L','M','H']],['U',['X','Clear','Green','Amber','Red']]];
const out = [];
if (mode === 'v4all') {
  const combos = (t) => t.reduce((acc, [n, vs]) => acc.flatMap(p => vs.map(v => [...p, `${n}:${v}`])), [[]]);
  for (const c of combos(v4.slice(0, 11))) { const s = 'CVSS:4.0/' + c.join('/'); out.push(s4(s)); }
} else {
  const n = Number(process.argv[4] || 500);
  // js-cvss takes v2 temporal and environmental groups whole (all their metrics or none).
  for (let i = 0; i < n; i++) { const t = rnd() < 0.5 ? 1 : 0, e = rnd() < 0.5 ? 1 : 0; const s = build('', v2.map((m, k) => [m[0], m[1], k < 6 || (k < 9 ? t : e)]), 0); out.push(s3(ae.Cvss2, s)); }
  for (let i = 0; i < n; i++) { const s = build('CVSS:3.0', v3, rnd()); out.push(s3(ae.Cvss3P0, s)); }
  for (let i = 0; i < 2 * n; i++) { const s = build('CVSS:3.1', v3, rnd()); out.push(s3(ae.Cvss3P1, s)); }
  for (let i = 0; i < 4 * n; i++) { const s = build('CVSS:4.0', v4, rnd() * 0.6); out.push(s4(s)); }
}
process.stdout.write(out.join('\n') + '\n');
