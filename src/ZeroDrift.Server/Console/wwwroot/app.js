// ZeroDrift console: plain ES modules, no framework. Charts (Chart.js) and the service graph (Cytoscape.js) come from
// npm, copied into the server at build (vendor.js, generated, names their versioned files); nothing is loaded from
// elsewhere.
// Every text goes through textContent (never innerHTML): data from agents and scans is untrusted.

// The libraries load in parallel with the first API calls (not as a static import, which would hold the whole
// module, and so the numbers, until Chart.js is parsed): a view awaits them only when it draws.
const vendor = import('./vendor.js').then(v => {
  v.Chart.defaults.color = '#8b98a5';
  v.Chart.defaults.borderColor = '#2d3845';
  v.Chart.defaults.font.family = 'system-ui, sans-serif';
  return v;
});

const state = { me: null, csrf: '', view: 'dashboard', live: null, mounted: [], rendering: null, again: false, incident: null };

// Charts and graphs need their element in the document (to measure it): a view marks the element with what draws
// it, and render() draws once the view is attached, after tearing the previous view's instances down.
function mount(element, draw) { element.dataset.draw = ''; element.draw = draw; }

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

async function api(path, options = {}) {
  const headers = { ...(options.body ? { 'Content-Type': 'application/json' } : {}), ...(options.method && options.method !== 'GET' ? { 'X-CSRF-Token': state.csrf } : {}) };
  const read = !options.method || options.method === 'GET';
  let response;
  try { response = await fetch(path, { credentials: 'same-origin', ...options, headers }); }
  catch (e) {
    // A read cut by the network (the browser drops connections when the machine's addresses change) is tried once
    // more; a change is never sent twice.
    if (!read) throw e;
    await new Promise(resolve => setTimeout(resolve, 250));
    response = await fetch(path, { credentials: 'same-origin', ...options, headers });
  }
  if (response.status === 401 && path !== '/api/v1/login') { showLogin(); throw new Error('signed out'); }
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(body?.error ?? `${response.status}`);
  return body;
}

function toast(message) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.className = 'show';
  setTimeout(() => { t.className = ''; }, 4000);
}

const time = ms => ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '—';
const seconds = s => s === null || s === undefined ? '—' : s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : s < 172800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(1)} d`;
const isAdmin = () => state.me?.role === 'admin';

function showLogin() {
  state.me = null;
  for (const teardown of state.mounted.splice(0)) teardown();
  state.live?.close();
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('view').replaceChildren();
  document.getElementById('login').hidden = false;
}

async function signedIn(me) {
  state.me = me;
  state.csrf = me.csrf;
  document.getElementById('login').hidden = true;
  document.getElementById('nav').hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('who').textContent = `${me.name} (${me.role})`;
  document.getElementById('admin-link').hidden = me.role !== 'admin';
  state.live?.close();
  state.live = new EventSource('/api/v1/live');
  state.live.addEventListener('change', () => render());
  // The browser reconnects a dropped stream by itself; what changed meanwhile was not announced, so draw again.
  let dropped = false;
  state.live.addEventListener('error', () => { dropped = true; });
  state.live.addEventListener('open', () => { if (dropped) { dropped = false; render(); } });
  await render();
}

// One render at a time: a live change or a navigation during a render asks for one more pass after it, so the page
// always ends on the latest data and view, and two renders never interleave their charts.
function render() {
  if (state.rendering) { state.again = true; return state.rendering; }
  state.rendering = (async () => {
    try { do { state.again = false; await renderOnce(); } while (state.again); }
    finally { state.rendering = null; }
  })();
  return state.rendering;
}

async function renderOnce() {
  const view = (location.hash || '#dashboard').slice(1);
  state.view = view;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === `#${view}`);
  const target = document.getElementById('view');
  try {
    const content = await (views[view] ?? views.dashboard)();
    if (!state.me) return;
    for (const teardown of state.mounted.splice(0)) teardown();
    target.replaceChildren(content);
    for (const el of content.querySelectorAll('[data-draw]')) state.mounted.push(await el.draw());
    target.dataset.rendered = view;
  } catch (e) {
    if (e.message !== 'signed out') target.replaceChildren(h('p', { class: 'error' }, e.message));
  }
}

function card(label, value, id, detail) {
  return h('div', { class: 'card' }, h('div', { class: 'value', 'data-testid': id }, value), h('div', { class: 'label' }, label),
    detail ? h('div', { class: 'muted', 'data-testid': `${id}-detail` }, detail) : null);
}

// Trend charts drawn by Chart.js (npm chart.js, copied into /console/vendor/ at build). Animation is off: the
// dashboard is redrawn on every live change, and a chart that animates from zero each time reads as flicker.
const seriesColors = { alerts: '#f85149', incidents: '#d29922', blocked: '#3fb950', fixed: '#58a6ff' };
const seriesLabels = { alerts: 'alerts', incidents: 'incidents', blocked: 'attacks blocked', fixed: 'vulnerabilities fixed' };

function trendChart(id, points, type, title) {
  const canvas = h('canvas', { 'data-testid': id, role: 'img', 'aria-label': title });
  mount(canvas, async () => {
    const { Chart } = await vendor;
    const series = Object.keys(seriesColors);
    const chart = new Chart(canvas, {
      type,
      data: {
        labels: points.map(p => p.period),
        datasets: series.map(s => ({ label: seriesLabels[s], key: s, data: points.map(p => p[s]), backgroundColor: seriesColors[s], borderColor: seriesColors[s], tension: 0.25, pointRadius: 3 })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => chart.destroy();
  });
  return h('div', { class: 'chart-box' }, canvas);
}

function modeSelect(workload, mode) {
  if (!isAdmin()) return h('span', { 'data-testid': `mode-${workload}` }, mode);
  return h('select', { 'data-testid': `mode-${workload}`, onchange: async ev => {
      try { const r = await api('/api/v1/workloads/mode', { method: 'POST', body: JSON.stringify({ workload, mode: ev.target.value }) }); toast(`${workload}: ${r.mode}, sent to ${r.agents.length} agent(s)`); }
      catch (e) { toast(e.message); } } },
    ['learn', 'monitor', 'protect'].map(m => h('option', { value: m, selected: m === mode }, m)));
}

// Nodes whose agent does not enforce Protect in the kernel, named with why, on every page where a person decides about
// workloads (dashboard, assets, profiles): degraded enforcement is never silent. A user-space response is best effort.
const enforcementText = {
  'user-space': 'user-space response: best effort — the process may run before it is killed',
  none: 'no enforcement: Protect only alerts',
};

function enforcementBanner(hosts) {
  const degraded = hosts.filter(x => x.enforcement && x.enforcement.mode !== 'kernel');
  if (degraded.length === 0) return null;
  return h('div', { class: 'banner', role: 'alert', 'data-testid': 'enforcement-banner' },
    h('strong', {}, degraded.length === 1 ? 'Protect is not enforced in the kernel on 1 node' : `Protect is not enforced in the kernel on ${degraded.length} nodes`),
    h('ul', {}, degraded.map(x => h('li', { 'data-testid': `degraded-${x.name}` },
      h('strong', {}, x.name), `: ${enforcementText[x.enforcement.mode] ?? x.enforcement.mode}`,
      x.enforcement.reason ? h('span', { class: 'muted' }, ` (${x.enforcement.reason})`) : null))));
}

// The service graph drawn by Cytoscape.js (npm cytoscape), loaded only when a page shows a graph. Nodes are
// workloads (coloured by mode, a thick border when exposed) and the peers they talk to (addresses or DNS names,
// grey); each edge is one learned flow, pointing from the workload that opens it, labelled port/protocol.
const modeColors = { protect: '#3fb950', monitor: '#d29922', learn: '#58a6ff' };

function serviceGraph(graph) {
  const container = h('div', { class: 'graph', 'data-testid': 'service-graph', role: 'img', 'aria-label': `service graph: ${graph.nodes.length} nodes, ${graph.edges.length} flows` });
  mount(container, async () => {
    const cytoscape = await (await vendor).loadCytoscape();
    const cy = cytoscape({
      container,
      elements: [
        ...graph.nodes.map(n => ({ data: { id: n.id, label: n.id + (n.exposed ? ' (exposed)' : ''), color: n.external ? '#8b98a5' : modeColors[n.mode] ?? '#58a6ff', external: n.external, exposed: n.exposed, mode: n.mode } })),
        ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.from, target: e.to, label: `${e.port ?? '*'}/${e.protocol}`, port: e.port, protocol: e.protocol } })),
      ],
      style: [
        { selector: 'node', style: { 'background-color': 'data(color)', label: 'data(label)', color: '#e6edf3', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4, width: 18, height: 18 } },
        { selector: 'node[?external]', style: { shape: 'round-rectangle' } },
        { selector: 'node[?exposed]', style: { 'border-width': 3, 'border-color': '#f85149' } },
        { selector: 'edge', style: { width: 1.5, 'line-color': '#58a6ff', 'target-arrow-color': '#58a6ff', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: '#8b98a5', 'text-rotation': 'autorotate', 'text-background-color': '#18202a', 'text-background-opacity': 1 } },
      ],
      layout: { name: 'breadthfirst', directed: true, spacingFactor: 1.1, padding: 24 },
      wheelSensitivity: 0.2,
    });
    // Kept on the element for the browser tests (and a person with the developer tools open).
    container.cy = cy;
    return () => cy.destroy();
  });
  return h('div', {}, container,
    h('p', { class: 'muted' }, 'circles: workloads (blue learn, amber monitor, green protect; red ring: exposed) · squares: peers outside (addresses, DNS names) · arrows: from the side that opens the flow, labelled port/protocol'),
    h('table', { 'data-testid': 'service-flows' }, h('tr', {}, h('th', {}, 'from'), h('th', {}, 'to'), h('th', {}, 'port'), h('th', {}, 'protocol')),
      graph.edges.map(e => h('tr', {}, h('td', {}, e.from), h('td', {}, e.to), h('td', {}, e.port ?? 'any'), h('td', {}, e.protocol)))));
}

// A remediation job as one line: what it is waiting for, or the patched image it made.
const remediationText = r => r.state === 'done'
  ? (r.patchedDigest ? `patched: ${r.patchedImage}` : `${r.kind} fix reported by ${r.claimedBy}`)
  : r.state === 'failed' ? `patch failed: ${r.error}` : `patch ${r.state} (job ${r.id})`;

const views = {
  async dashboard() {
    const [n, hosts] = await Promise.all([api('/api/v1/numbers'), api('/api/v1/assets/hosts')]);
    const trend = n.daily.slice(-30);
    return h('div', {},
      enforcementBanner(hosts),
      h('h1', {}, 'Security operations'),
      h('div', { class: 'cards' },
        card('Risks found before deployment', n.risksFoundBeforeDeployment, 'risks-in-advance',
          `${n.risksBeforeDeploymentByKind.vulnerabilities} vulnerabilities · ${n.risksBeforeDeploymentByKind.contentFindings} secrets/PII/misconfigurations · ${n.risksBeforeDeploymentByKind.deploymentsDenied} deployments denied`),
        card('Critical / high / medium fixed', `${n.fixedCritical} / ${n.fixedHigh} / ${n.fixedMedium}`, 'fixed',
          `by ZeroDrift ${n.fixedByZeroDrift.critical} / ${n.fixedByZeroDrift.high} / ${n.fixedByZeroDrift.medium} · seen in later scans ${n.fixedSeenInLaterScans.critical} / ${n.fixedSeenInLaterScans.high} / ${n.fixedSeenInLaterScans.medium}`),
        card('Vulnerability response (median · p90)', `${seconds(n.vulnerabilityResponse.medianSeconds)} · ${seconds(n.vulnerabilityResponse.p90Seconds)}`, 'response',
          `by ZeroDrift ${seconds(n.vulnerabilityResponseByZeroDrift.medianSeconds)} (${n.vulnerabilityResponseByZeroDrift.count}) · seen in later scans ${seconds(n.vulnerabilityResponseSeenInLaterScans.medianSeconds)} (${n.vulnerabilityResponseSeenInLaterScans.count})`),
        card('Time to detect (median · p90)', `${seconds(n.timeToDetect.medianSeconds)} · ${seconds(n.timeToDetect.p90Seconds)}`, 'detect'),
        card('Time to block (median · p90)', `${seconds(n.timeToBlock.medianSeconds)} · ${seconds(n.timeToBlock.p90Seconds)}`, 'block'),
        card('Manual intervention', `${seconds(n.manualInterventionSeconds)} over ${n.incidentsHandledByPeople} incident(s)`, 'manual'),
        card('Closed automatically', n.incidentsClosedAutomatically, 'automatic'),
        card('Attacks blocked', n.attacksBlocked, 'attacks-blocked'),
        card('Incidents not resolved', n.incidentsOpen, 'incidents-open'),
        card('Alerts stored', n.alertsStored, 'alerts')),
      h('h2', {}, 'Trends'),
      h('div', { class: 'charts' }, trendChart('chart-daily', trend, 'bar', 'per day (last 30 days with activity)'), trendChart('chart-weekly', n.weekly, 'line', 'per ISO week')),
      h('h2', {}, 'Per week'),
      h('table', { 'data-testid': 'weekly' }, h('tr', {}, h('th', {}, 'week'), h('th', {}, 'alerts'), h('th', {}, 'incidents'), h('th', {}, 'blocked'), h('th', {}, 'fixed')),
        n.weekly.map(w => h('tr', {}, h('td', {}, w.period), h('td', {}, w.alerts), h('td', {}, w.incidents), h('td', {}, w.blocked), h('td', {}, w.fixed)))));
  },

  async risks() {
    const [risks, findings, denied] = await Promise.all([api('/api/v1/risks?limit=300'), api('/api/v1/findings?limit=300'), api('/api/v1/admission?decision=denied&limit=100')]);
    return h('div', {}, h('h1', {}, 'Vulnerabilities ranked with runtime context'),
      risks.length === 0 ? h('p', { class: 'muted' }, 'No open vulnerabilities. Upload scans with zerodrift scan --server.') :
      h('table', { 'data-testid': 'risks' },
        h('tr', {}, h('th', {}, 'risk'), h('th', {}, 'vulnerability'), h('th', {}, 'package'), h('th', {}, 'workload'), h('th', {}, 'why')),
        risks.map(r => h('tr', {},
          h('td', {}, r.risk.toFixed(1)),
          h('td', { class: `sev-${r.severity}` }, r.vulnId, h('div', { class: 'muted' }, r.summary)),
          h('td', {}, `${r.package} ${r.version}`, r.fixedIn ? h('div', { class: 'muted' }, `fixed in ${r.fixedIn}`) : null, r.remediation ? h('div', { class: 'muted' }, remediationText(r.remediation)) : null),
          h('td', {}, r.subject),
          h('td', {}, h('ul', { class: 'reasons' }, r.reasons.map(x => h('li', {}, x))))))),
      h('h2', {}, 'Secrets, personal data and misconfigurations'),
      findings.length === 0 ? h('p', { class: 'muted' }, 'None open. Scan with --scanners secret,pii,misconfig --server.') :
      h('table', { 'data-testid': 'content-findings' },
        h('tr', {}, h('th', {}, 'kind'), h('th', {}, 'finding'), h('th', {}, 'where'), h('th', {}, 'workload'), h('th', {}, 'first seen')),
        findings.map(f => h('tr', {},
          h('td', {}, f.class),
          h('td', { class: `sev-${f.severity}` }, f.title || f.ruleId, h('div', { class: 'muted' }, f.match || f.message)),
          h('td', {}, f.line > 0 ? `${f.path}:${f.line}` : f.path),
          h('td', {}, f.subject),
          h('td', {}, `${new Date(f.firstSeen).toISOString().slice(0, 16).replace('T', ' ')} (${f.firstStage})`)))),
      h('h2', {}, 'Deployments stopped at admission'),
      denied.length === 0 ? h('p', { class: 'muted' }, 'None. Serve the webhook with zerodrift server --admission-policy FILE.') :
      h('table', { 'data-testid': 'admission-denied' },
        h('tr', {}, h('th', {}, 'when'), h('th', {}, 'workload'), h('th', {}, 'images'), h('th', {}, 'why')),
        denied.map(d => h('tr', {},
          h('td', {}, new Date(d.at).toISOString().slice(0, 19).replace('T', ' ') + (d.dryRun ? ' (dry run)' : '')),
          h('td', {}, `${d.kind} ${d.namespace}/${d.name}`),
          h('td', {}, d.images.join(', ')),
          h('td', {}, h('ul', { class: 'reasons' }, d.reasons.map(x => h('li', {}, x))))))));
  },

  async incidents() {
    const incidents = await api('/api/v1/incidents');
    const detail = h('div', { id: 'incident-detail' });
    // The incident a user opened stays open across the re-renders live changes cause (its timeline grows in place).
    const open = async id => {
      state.incident = id;
      const d = await api(`/api/v1/incidents/${id}`);
      const actions = isAdmin() && d.incident.state !== 'resolved'
        ? ['acknowledged', 'contained', 'resolved'].map(s => h('button', { class: 'secondary', 'data-testid': `to-${s}`, onclick: async () => {
            try { await api(`/api/v1/incidents/${id}/transition`, { method: 'POST', body: JSON.stringify({ state: s, note: '' }) }); toast(`incident ${id}: ${s}`); await open(id); }
            catch (e) { toast(e.message); } } }, s))
        : [];
      const learned = d.timeline.filter(e => e.kind === 'alert-learned');
      const fresh = d.timeline.filter(e => e.kind !== 'alert-learned');
      detail.replaceChildren(h('h2', {}, `Incident ${d.incident.id}: ${d.incident.title}`),
        h('p', {}, h('span', { class: `state-${d.incident.state}`, 'data-testid': 'incident-state' }, d.incident.state), ` · ${d.incident.workload} · opened ${time(d.incident.openedAt)}`,
          d.incident.containedBy ? ` · contained by ${d.incident.containedBy}` : ''),
        h('div', {}, actions),
        h('ol', { class: 'timeline', 'data-testid': 'timeline' }, fresh.map(e => h('li', { class: e.automatic ? 'auto' : 'human' }, `${time(e.at)} ${e.actor} — ${e.kind}: ${e.detail}`))),
        // Rule alerts for behaviour the workload's profile already holds (a shell learned in Learn): apart from new behaviour.
        learned.length === 0 ? '' : h('details', { 'data-testid': 'learned-alerts' },
          h('summary', {}, `${learned.length} alert(s) for learned behaviour (already in the workload's profile)`),
          h('ol', { class: 'timeline' }, learned.map(e => h('li', { class: 'auto' }, `${time(e.at)} ${e.actor} — ${e.detail}`)))));
    };
    if (incidents.some(i => i.id === state.incident)) await open(state.incident);
    return h('div', {}, h('h1', {}, 'Incidents'),
      incidents.length === 0 ? h('p', { class: 'muted' }, 'No incidents.') :
      h('table', { 'data-testid': 'incidents' },
        h('tr', {}, h('th', {}, '#'), h('th', {}, 'title'), h('th', {}, 'workload'), h('th', {}, 'severity'), h('th', {}, 'state'), h('th', {}, 'alerts'), h('th', {}, 'opened')),
        incidents.map(i => h('tr', { onclick: () => open(i.id), class: 'clickable' },
          h('td', {}, i.id), h('td', {}, i.title), h('td', {}, i.workload), h('td', { class: `sev-${i.severity}` }, i.severity),
          h('td', { class: `state-${i.state}` }, i.state), h('td', {}, i.alerts), h('td', {}, time(i.openedAt))))),
      detail);
  },

  async profiles() {
    const [profiles, workloads, graph, hosts] = await Promise.all([api('/api/v1/profiles'), api('/api/v1/assets/workloads'), api('/api/v1/graph'), api('/api/v1/assets/hosts')]);
    const wanted = new Map(workloads.map(w => [w.name, w.mode]));
    const diff = h('div', { 'data-testid': 'profile-diff' });
    const show = async workload => {
      const d = await api(`/api/v1/profiles/diff?workload=${encodeURIComponent(workload)}`);
      diff.replaceChildren(h('h2', {}, `What Protect would block in ${d.workload}`),
        h('p', { class: 'muted' }, `profile allows ${d.allowedExec} executable(s) and ${d.allowedFiles} file rule(s); agent reports ${d.reportedMode}, wanted ${d.mode}`),
        d.wouldBlock.length === 0 ? h('p', {}, 'Nothing observed outside the profile.') :
        h('table', {}, h('tr', {}, h('th', {}, 'kind'), h('th', {}, 'path'), h('th', {}, 'first seen')),
          d.wouldBlock.map(b => h('tr', {}, h('td', {}, b.kind), h('td', {}, b.path), h('td', {}, time(b.firstSeen))))));
    };
    return h('div', {}, enforcementBanner(hosts), h('h1', {}, 'Profiles'),
      profiles.length === 0 ? h('p', { class: 'muted' }, 'No profile learned yet.') :
      h('table', { 'data-testid': 'profiles' }, h('tr', {}, h('th', {}, 'workload'), h('th', {}, 'mode (wanted)'), h('th', {}, 'agent reports'), h('th', {}, 'updated'), h('th', {}, '')),
        profiles.map(p => h('tr', {}, h('td', {}, p.workload), h('td', {}, modeSelect(p.workload, wanted.get(p.workload) ?? p.mode)), h('td', {}, p.mode), h('td', {}, time(p.updatedAt)),
          h('td', {}, h('button', { class: 'secondary', 'data-testid': `diff-${p.workload}`, onclick: () => show(p.workload) }, 'would block'))))),
      diff,
      h('h2', {}, 'Service graph (learned network models)'),
      graph.edges.length === 0 ? h('p', { class: 'muted' }, 'No network flows learned yet.') : serviceGraph(graph));
  },

  async policies() {
    const [playbooks, commands] = await Promise.all([api('/api/v1/playbooks'), api('/api/v1/commands?limit=50')]);
    const form = isAdmin() ? h('form', { 'data-testid': 'new-playbook', onsubmit: async ev => {
        ev.preventDefault();
        const f = new FormData(ev.target);
        try { await api('/api/v1/playbooks', { method: 'POST', body: JSON.stringify({ name: f.get('name'), ruleContains: f.get('rule'), minSeverity: f.get('severity'), action: f.get('action') }) }); toast('playbook created'); render(); }
        catch (e) { toast(e.message); } } },
      h('input', { name: 'name', placeholder: 'name', required: true }), ' ',
      h('input', { name: 'rule', placeholder: 'rule contains', required: true }), ' ',
      h('select', { name: 'severity' }, ['critical', 'high', 'medium', 'low'].map(x => h('option', { value: x, selected: x === 'high' }, x))), ' ',
      h('select', { name: 'action' }, ['kill', 'pause', 'protect', 'quarantine', 'patch-image'].map(x => h('option', { value: x }, x))), ' ',
      h('button', { type: 'submit' }, 'Add playbook')) : null;
    return h('div', {}, h('h1', {}, 'Policies and automation'),
      h('h2', {}, 'Playbooks: act without a person'),
      h('table', { 'data-testid': 'playbooks' }, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'when the rule contains'), h('th', {}, 'at or above'), h('th', {}, 'action')),
        playbooks.map(p => h('tr', {}, h('td', {}, p.name), h('td', {}, p.ruleContains), h('td', {}, p.minSeverity), h('td', {}, p.action)))),
      form,
      h('h2', {}, 'Commands sent to agents'),
      h('table', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'agent'), h('th', {}, 'command'), h('th', {}, 'by'), h('th', {}, 'created'), h('th', {}, 'outcome')),
        commands.map(c => h('tr', {}, h('td', {}, c.id), h('td', {}, c.agent), h('td', {}, `${c.kind} ${c.target}`), h('td', {}, c.automatic ? `${c.requestedBy} (automatic)` : c.requestedBy),
          h('td', {}, time(c.createdAt)), h('td', {}, c.outcome ?? (c.dispatchedAt ? 'dispatched' : 'pending'))))));
  },

  async admin() {
    if (!isAdmin()) return h('p', { class: 'error' }, 'Only admins manage users and tokens.');
    const [users, tokens, audit] = await Promise.all([api('/api/v1/users'), api('/api/v1/tokens'), api('/api/v1/audit?limit=100')]);
    const created = h('p', { 'data-testid': 'new-token' });
    const submit = (path, body, after) => async ev => {
      ev.preventDefault();
      try { const r = await api(path, { method: 'POST', body: JSON.stringify(body(new FormData(ev.target))) }); ev.target.reset(); await after(r); }
      catch (e) { toast(e.message); }
    };
    return h('div', {}, h('h1', {}, 'Administration'),
      h('h2', {}, 'Users'),
      h('table', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'role')), users.map(u => h('tr', {}, h('td', {}, u.name), h('td', {}, u.role)))),
      h('form', { 'data-testid': 'new-user', onsubmit: submit('/api/v1/users', f => ({ name: f.get('name'), password: f.get('password'), role: f.get('role') }), async () => { toast('user created'); await render(); }) },
        h('input', { name: 'name', placeholder: 'name', required: true }), ' ',
        h('input', { name: 'password', type: 'password', placeholder: 'password (12+)', required: true, autocomplete: 'new-password' }), ' ',
        h('select', { name: 'role' }, h('option', { value: 'viewer' }, 'viewer'), h('option', { value: 'admin' }, 'admin')), ' ',
        h('button', { type: 'submit' }, 'Add user')),
      h('h2', {}, 'API tokens (agents, CI, scrapers)'),
      h('table', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'name'), h('th', {}, 'role'), h('th', {}, 'by'), h('th', {}, 'created'), h('th', {}, '')),
        tokens.map(t => h('tr', {}, h('td', {}, t.id), h('td', {}, t.name), h('td', {}, t.role), h('td', {}, t.createdBy), h('td', {}, time(t.createdAt)),
          h('td', {}, t.revokedAt ? `revoked ${time(t.revokedAt)}` : h('button', { class: 'secondary', onclick: async () => {
            try { await api(`/api/v1/tokens/${t.id}`, { method: 'DELETE' }); toast('token revoked'); await render(); } catch (e) { toast(e.message); } } }, 'revoke'))))),
      h('form', { onsubmit: submit('/api/v1/tokens', f => ({ name: f.get('name'), role: f.get('role') }), async r => {
          await render();
          // Shown once: the server keeps only its hash.
          document.querySelector('[data-testid=new-token]')?.replaceChildren(`Token for ${r.name} (copy it now, it is not shown again): `, h('code', {}, r.token));
        }) },
        h('input', { name: 'name', placeholder: 'token name (agent: its host)', required: true }), ' ',
        h('select', { name: 'role' }, ['agent', 'ci', 'viewer'].map(x => h('option', { value: x }, x))), ' ',
        h('button', { type: 'submit', 'data-testid': 'create-token' }, 'Create token')),
      created,
      h('h2', {}, 'Audit log'),
      h('table', { 'data-testid': 'audit' }, h('tr', {}, h('th', {}, 'when'), h('th', {}, 'who'), h('th', {}, 'action'), h('th', {}, 'subject'), h('th', {}, 'detail')),
        audit.map(a => h('tr', {}, h('td', {}, time(a.at)), h('td', {}, a.actor), h('td', {}, a.action), h('td', {}, a.subject), h('td', { class: 'muted' }, a.detail)))));
  },

  async assets() {
    const [workloads, images, hosts] = await Promise.all([api('/api/v1/assets/workloads'), api('/api/v1/assets/images'), api('/api/v1/assets/hosts')]);
    const modeControl = w => modeSelect(w.name, w.mode);
    const enforcement = e => !e ? '—' : e.mode === 'kernel' ? 'kernel' : `${enforcementText[e.mode] ?? e.mode}${e.reason ? ` (${e.reason})` : ''}`;
    return h('div', {}, enforcementBanner(hosts), h('h1', {}, 'Assets'),
      h('h2', {}, 'Workloads'),
      h('table', { 'data-testid': 'workloads' }, h('tr', {}, h('th', {}, 'workload'), h('th', {}, 'mode'), h('th', {}, 'exposed'), h('th', {}, 'running'), h('th', {}, 'images')),
        workloads.map(w => h('tr', {}, h('td', {}, w.name), h('td', {}, modeControl(w)), h('td', {}, w.exposed ? 'yes' : 'no'), h('td', {}, w.runningContainers), h('td', {}, w.images.join(', '))))),
      h('h2', {}, 'Images and where they run'),
      h('table', { 'data-testid': 'images' }, h('tr', {}, h('th', {}, 'image'), h('th', {}, 'digest'), h('th', {}, 'running'), h('th', {}, 'hosts'), h('th', {}, 'workloads'),
          h('th', {}, 'fixable now'), h('th', {}, 'patched image'), h('th', {}, 'patch deployed')),
        images.map(i => h('tr', { 'data-image': i.image, 'data-digest': i.imageDigest }, h('td', {}, i.image), h('td', { class: 'muted' }, i.imageDigest.slice(0, 19)), h('td', {}, i.runningContainers), h('td', {}, i.hosts.join(', ')), h('td', {}, i.workloads.join(', ')),
          h('td', { 'data-testid': 'fixable', class: i.fixableNow > 0 ? 'sev-high' : '' }, i.fixableNow),
          h('td', { 'data-testid': 'patched' }, i.remediation ? remediationText(i.remediation) : '—'),
          h('td', { 'data-testid': 'deployed' }, !i.remediation?.patchedDigest ? '—' : i.patchedDeployed ? 'yes: an agent runs the patched digest' : 'no: no agent reports it running')))),
      h('h2', {}, 'Hosts'),
      h('table', { 'data-testid': 'hosts' }, h('tr', {}, h('th', {}, 'host'), h('th', {}, 'agent'), h('th', {}, 'enforcement'), h('th', {}, 'running containers'), h('th', {}, 'last seen')),
        hosts.map(x => h('tr', {}, h('td', {}, x.name), h('td', {}, x.agent),
          h('td', { class: x.enforcement && x.enforcement.mode !== 'kernel' ? 'sev-high' : '' }, enforcement(x.enforcement)),
          h('td', {}, x.runningContainers), h('td', {}, time(x.lastSeen))))));
  },
};

document.getElementById('login').addEventListener('submit', async ev => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const me = await api('/api/v1/login', { method: 'POST', body: JSON.stringify({ name: form.get('name'), password: form.get('password') }) });
    document.getElementById('login-error').textContent = '';
    ev.target.reset();
    await signedIn(me);
  } catch (e) {
    document.getElementById('login-error').textContent = e.message;
  }
});
document.getElementById('logout').addEventListener('click', async () => { try { await api('/api/v1/logout', { method: 'POST' }); } finally { showLogin(); } });
window.addEventListener('hashchange', () => { if (state.me) render(); });

try { await signedIn(await api('/api/v1/me')); } catch { showLogin(); }
