// Outdial dashboard: a small single-page app over the native API (/v1). No build step, no network but this server.
// The API key lives in sessionStorage only (gone when the tab closes). Every value from the API is inserted as text
// (DOM nodes, never innerHTML), so call content cannot inject markup. Live updates come from GET /v1/events/stream
// (Server-Sent Events), read with fetch because EventSource cannot send the Authorization header.

const KEY = 'outdial.apiKey';
// 'operator' when the key signed in is the server's operator key (/v1/admin only): the dashboard then shows Accounts alone.
const MODE = 'outdial.mode';
const isOperator = () => sessionStorage.getItem(MODE) === 'operator';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const liveBadge = document.getElementById('live');
const signOutButton = document.getElementById('signout');

const STATUSES = ['scheduled', 'queued', 'dialing', 'ringing', 'in_progress', 'ended', 'canceled', 'expired', 'blocked'];
const OUTCOMES = ['answered', 'voicemail', 'busy', 'no_answer', 'rejected', 'invalid_number', 'unreachable', 'error'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// ---------- DOM and API helpers ----------

/** Creates an element: attrs may hold class, text, on<event> handlers and attributes; children are nodes or strings. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const apiKey = () => sessionStorage.getItem(KEY);

class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(problem) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** The server's ProblemDetails as one readable line: title, detail and each field's errors. */
function problemText(p) {
  if (!p || typeof p !== 'object') return '';
  const parts = [p.title, p.detail].filter(Boolean);
  for (const [field, messages] of Object.entries(p.errors || {})) parts.push(`${field}: ${[].concat(messages).join('; ')}`);
  return parts.join(' — ');
}

async function api(path, { method = 'GET', body, contentType = 'application/json' } = {}) {
  const headers = { Authorization: `Bearer ${apiKey()}` };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    payload = typeof body === 'string' || body instanceof Blob ? body : JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  if (response.status === 401) {
    signOut('Your API key was refused (unknown, revoked, or its account is disabled). Sign in again.');
    throw new ApiError(401, null);
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return { json, response };
}
const get = async path => (await api(path)).json;

/**
 * A button under a list the API answers page by page (`nextCursor`, null or absent on the last page): each press fetches
 * the next page of `path` with `params` and hands its items to `append`; hidden once there is no next page.
 */
function moreButton(path, params, first, append, label) {
  let cursor = first.nextCursor;
  const failure = h('span', { role: 'alert' });
  const button = h('button', { type: 'button', class: 'secondary more', text: label, hidden: !cursor, onclick: async () => {
    button.disabled = true;
    failure.replaceChildren();
    try {
      const page = await get(`${path}${query({ ...params, cursor })}`);
      append(page.data);
      cursor = page.nextCursor;
      button.hidden = !cursor;
    } catch (e) {
      failure.replaceChildren(errorBox(e));
    } finally {
      button.disabled = false;
    }
  } });
  return h('p', {}, button, failure);
}

const fmt = t => (t ? new Date(t).toLocaleString() : '');
const badge = v => (v ? h('span', { class: `badge ${v}`, text: v.replace(/_/g, ' ') }) : '');
const errorBox = e => h('p', { class: 'error', role: 'alert', text: e instanceof ApiError ? e.message : String(e) });
const query = params => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

/** Runs an action from a button or form, showing its error beside it instead of throwing. */
async function attempt(where, action) {
  where.querySelectorAll(':scope > .error').forEach(e => e.remove());
  try {
    await action();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) where.append(errorBox(e));
  }
}

/** A uPlot chart: x = Unix seconds, one series per name. Draws nothing while uPlot is still loading. */
function chart(title, xs, series, { width = 900, height = 240, bars = false } = {}) {
  const box = h('figure', { class: 'chart', 'aria-label': title }, h('figcaption', { text: title }));
  if (!window.uPlot || xs.length === 0) {
    box.append(h('p', { class: 'muted', text: 'No data yet.' }));
    return box;
  }
  const palette = ['#1f5fbf', '#1e7a44', '#b3261e', '#8a5a00', '#6b3fa0', '#0f7b8a', '#7a7a7a', '#c2185b'];
  const opts = {
    width: Math.min(width, (main.clientWidth || width) - 40),
    height,
    series: [{}, ...series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: 2,
      fill: bars ? `${palette[i % palette.length]}99` : undefined,
      paths: bars ? window.uPlot.paths.bars({ size: [0.8 / Math.max(1, series.length), 60], align: 1 }) : undefined }))],
    axes: [{}, { size: 50 }],
  };
  queueMicrotask(() => new window.uPlot(opts, [xs, ...series.map(s => s.values)], box));
  return box;
}

/** Counts per hour (x = hour start, Unix seconds) of the calls' outcomes. */
function outcomesByHour(calls) {
  const ended = calls.filter(c => c.endedAt);
  const seen = ended.map(c => Math.floor(Date.parse(c.endedAt) / 3600000) * 3600);
  // Every hour from the first to the last, with an empty hour either side, so that even one hour reads as a bar.
  const hours = [];
  if (seen.length) for (let x = Math.min(...seen) - 3600; x <= Math.max(...seen) + 3600; x += 3600) hours.push(x);
  const names = OUTCOMES.filter(o => ended.some(c => c.outcome === o));
  const series = names.map(o => ({ name: o, values: hours.map(x => ended.filter(c => c.outcome === o && Math.floor(Date.parse(c.endedAt) / 3600000) * 3600 === x).length) }));
  return chart('Outcomes by hour', hours, series, { bars: true });
}

// ---------- Live events ----------

const listeners = new Set();
let streamAbort = null;
let lastEventId = null;

/** Reads GET /v1/events/stream for as long as signed in, reconnecting (with Last-Event-ID) after a break. */
async function stream() {
  while (apiKey()) {
    streamAbort = new AbortController();
    try {
      const headers = { Authorization: `Bearer ${apiKey()}`, Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch('/v1/events/stream', { headers, signal: streamAbort.signal });
      if (!response.ok) throw new Error(`stream answered ${response.status}`);
      liveBadge.textContent = '● Live';
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = { type: 'message', data: '' };
          for (const line of block.split('\n')) {
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'event') event.type = val;
            else if (field === 'data') event.data += val;
            else if (field === 'id') event.id = val;
          }
          if (event.id) lastEventId = event.id;
          if (event.type !== 'ping' && event.data) {
            const data = JSON.parse(event.data);
            listeners.forEach(fn => fn(data));
          }
        }
      }
    } catch (e) {
      if (streamAbort.signal.aborted) return;
    }
    liveBadge.textContent = 'Reconnecting…';
    await new Promise(r => setTimeout(r, 2000));
  }
}

// ---------- Pages ----------

function signInPage(message) {
  const input = h('input', { id: 'apikey', type: 'password', autocomplete: 'off', required: true, placeholder: 'od_live_…' });
  const form = h('form', { class: 'card signin', onsubmit: async e => {
    e.preventDefault();
    const key = input.value.trim();
    sessionStorage.setItem(KEY, key);
    sessionStorage.removeItem(MODE);
    await attempt(form, async () => {
      // The operator key answers 403 outside /v1/admin: an od_admin_ key is tried there first, any other key there after
      // the account's own endpoint refused it.
      const operator = async () => { await api('/v1/admin/accounts?limit=1'); sessionStorage.setItem(MODE, 'operator'); };
      if (key.startsWith('od_admin_')) await operator();
      else {
        try {
          await api('/v1/account');
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 403)) throw e;
          await operator();
        }
      }
      start();
    });
  } },
  h('h1', { text: 'Sign in' }),
  message ? h('p', { class: 'error', role: 'alert', text: message }) : '',
  h('p', { class: 'muted', text: 'Use an API key of your account (printed on the first start, or created under API keys), or the server’s operator key to manage accounts. It is kept in this browser tab only.' }),
  h('label', { for: 'apikey' }, 'API key', input),
  h('p', {}, h('button', { type: 'submit', text: 'Sign in' })));
  queueMicrotask(() => input.focus());
  return form;
}

async function callsPage(params) {
  const filters = Object.fromEntries(new URLSearchParams(params.query || ''));
  const select = (name, values) => h('select', { id: `f-${name}`, name }, h('option', { value: '', text: 'any' }),
    values.map(v => h('option', { value: v, selected: filters[name] === v, text: v.replace(/_/g, ' ') })));
  const field = (name, label, el) => h('label', { for: el.id }, label, el);
  const form = h('form', { class: 'filters', 'aria-label': 'Filter calls', onsubmit: e => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    for (const k of ['createdFrom', 'createdTo']) if (data[k]) data[k] = new Date(data[k]).toISOString();
    location.hash = `#/calls${query(data)}`;
  } },
  field('status', 'Status', select('status', STATUSES)),
  field('outcome', 'Outcome', select('outcome', OUTCOMES)),
  field('campaignId', 'Campaign id', h('input', { id: 'f-campaignId', name: 'campaignId', value: filters.campaignId || '' })),
  field('agentId', 'Agent id', h('input', { id: 'f-agentId', name: 'agentId', value: filters.agentId || '' })),
  field('createdFrom', 'Created from', h('input', { id: 'f-createdFrom', name: 'createdFrom', type: 'datetime-local' })),
  field('createdTo', 'Created to', h('input', { id: 'f-createdTo', name: 'createdTo', type: 'datetime-local' })),
  h('button', { type: 'submit', text: 'Filter' }));

  const page = await get(`/v1/calls${query({ ...filters, limit: 100 })}`);
  const rows = new Map();
  const row = c => {
    const tr = h('tr', { 'data-call': c.id },
      h('td', {}, h('a', { href: `#/calls/${c.id}`, text: c.to })),
      h('td', { class: 'status' }, badge(c.status)),
      h('td', { class: 'outcome' }, badge(c.outcome)),
      h('td', { class: 'attempts', text: c.attemptCount }),
      h('td', { text: fmt(c.createdAt) }),
      h('td', {}, c.campaignId ? h('a', { href: `#/campaigns/${c.campaignId}`, text: c.campaignId }) : ''));
    rows.set(c.id, tr);
    return tr;
  };
  const tbody = h('tbody', {}, page.data.map(row));
  const caption = h('caption', { class: 'muted' });
  const count = () => { caption.textContent = `${rows.size} calls, newest first; live`; };
  count();
  const table = h('table', {}, caption,
    h('thead', {}, h('tr', {}, ['To', 'Status', 'Outcome', 'Attempts', 'Created', 'Campaign'].map(t => h('th', { scope: 'col', text: t })))),
    tbody);
  const more = moreButton('/v1/calls', { ...filters, limit: 100 }, page,
    calls => { tbody.append(...calls.filter(c => !rows.has(c.id)).map(row)); count(); }, 'Load older calls');
  const filtered = Object.values(filters).some(Boolean);
  const onEvent = async e => {
    const tr = rows.get(e.callId);
    if (tr) {
      if (e.data && e.data.status) tr.querySelector('.status').replaceChildren(badge(e.data.status));
      if (e.data && e.data.outcome) tr.querySelector('.outcome').replaceChildren(badge(e.data.outcome));
      if (e.data && e.data.attempt) tr.querySelector('.attempts').textContent = e.data.attempt;
      tr.classList.remove('new'); void tr.offsetWidth; tr.classList.add('new');
    } else if (!filtered && (e.type === 'call.queued' || e.type === 'call.scheduled')) {
      try {
        const c = await get(`/v1/calls/${e.callId}`);
        if (rows.has(c.id)) return;
        const fresh = row(c);
        fresh.classList.add('new');
        tbody.prepend(fresh);
        count();
      } catch { /* deleted or not ours */ }
    }
  };
  return { node: [h('h1', { text: 'Calls' }), form, outcomesByHour(page.data), table, more], onEvent };
}

async function callPage({ id }) {
  const [call, events, attempts] = await Promise.all([get(`/v1/calls/${id}`), get(`/v1/calls/${id}/events`), get(`/v1/calls/${id}/attempts`)]);
  // The analysis history (newest first) rather than /insights, which answers 404 until the first analysis exists.
  const [transcript, history, deliveries] = await Promise.all([get(`/v1/calls/${id}/transcript`), get(`/v1/calls/${id}/insights/history`),
    get(`/v1/webhook-deliveries${query({ callId: id, limit: 100 })}`)]);
  const insights = history.data[0] || null;

  // Evidence quotes by transcript turn, highlighted where they occur.
  const evidence = new Map();
  for (const a of (insights && insights.answers) || []) for (const ev of a.evidence || []) {
    if (!evidence.has(ev.turn)) evidence.set(ev.turn, []);
    evidence.get(ev.turn).push(ev.quote);
  }
  const highlighted = (text, quotes) => {
    if (!quotes || quotes.length === 0) return [text];
    const out = [];
    let rest = text;
    for (const q of quotes) {
      const i = q ? rest.indexOf(q) : -1;
      if (i < 0) continue;
      out.push(rest.slice(0, i), h('mark', { text: q }));
      rest = rest.slice(i + q.length);
    }
    out.push(rest);
    return out;
  };

  const timeline = [
    ...events.data.map(e => ({ at: e.at, node: h('li', {}, h('time', { datetime: e.at, text: fmt(e.at) }), ' ', h('strong', { text: e.type }),
      ' ', h('span', { class: 'muted', text: Object.entries(e.data || {}).filter(([k]) => k !== 'insights').map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ') })) })),
    ...(call.decisions || []).map(d => ({ at: d.at, node: h('li', {}, h('time', { datetime: d.at, text: fmt(d.at) }), ' ', h('strong', { text: `decision (${d.stage}): ${d.action}` }),
      d.until ? ` until ${fmt(d.until)}` : '',
      h('ul', {}, (d.reasons || []).map(r => h('li', {}, h('code', { text: r.code }), ' ', r.detail || '', r.rule ? h('span', { class: 'cite' }, ' — rule: ', h('cite', { text: r.rule })) : '')))) })),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  const cancel = ['scheduled', 'queued', 'dialing', 'ringing', 'in_progress'].includes(call.status)
    ? h('button', { type: 'button', class: 'secondary', onclick: e => attempt(e.target.parentElement, async () => {
      await api(`/v1/calls/${id}/cancel`, { method: 'POST' });
      render();
    }) }, 'Cancel call') : '';

  const section = (title, ...content) => h('section', { 'aria-labelledby': `s-${title.replace(/\W/g, '')}` },
    h('h2', { id: `s-${title.replace(/\W/g, '')}`, text: title }), ...content);
  const node = [
    h('h1', {}, `Call to ${call.to} `, badge(call.status), ' ', badge(call.outcome)),
    h('div', { class: 'card' },
      h('p', {}, `From ${call.from} via ${call.provider}; agent `, h('a', { href: `#/agents/${call.agentId}`, text: call.agentId }),
        call.campaignId ? [', campaign ', h('a', { href: `#/campaigns/${call.campaignId}`, text: call.campaignId })] : '',
        `. Created ${fmt(call.createdAt)}.`), cancel),
    section('Timeline', h('ol', { class: 'timeline' }, timeline.map(t => t.node))),
    section('Attempts', h('table', {}, h('thead', {}, h('tr', {}, ['#', 'Provider call', 'Status', 'Outcome', 'Answered by', 'SIP', 'Q.850', 'Duration', 'Recording'].map(t => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, attempts.data.map(a => h('tr', {},
        h('td', { text: a.number }), h('td', {}, h('code', { text: `${a.provider} ${a.providerCallId || ''}` })), h('td', {}, badge(a.status)),
        h('td', {}, badge(a.outcome)), h('td', { text: a.answeredBy || '' }), h('td', { text: a.sipCode ?? '' }), h('td', { text: a.q850Code ?? '' }),
        h('td', { text: a.durationSec != null ? `${a.durationSec} s` : '' }),
        h('td', {}, a.recordingUrl ? h('audio', { controls: true, preload: 'none', src: a.recordingUrl, 'aria-label': `Recording of attempt ${a.number}` }) : '')))))),
    section('Transcript', transcript && transcript.turns.length
      ? h('ol', { class: 'transcript' }, transcript.turns.map(t => h('li', { class: t.speaker, id: `turn-${t.index}` },
        h('span', { class: 'speaker', text: `${t.speaker} · attempt ${t.attempt}${t.interrupted ? ' · interrupted' : ''}` }), highlighted(t.text, evidence.get(t.index)))))
      : h('p', { class: 'muted', text: 'No conversation yet.' })),
    section('Insights', insights
      ? [h('p', { class: 'muted', text: `${insights.status} · ${insights.method} · ${insights.summary || ''}` }),
        h('table', {}, h('thead', {}, h('tr', {}, ['Question', 'Answer', 'Status', 'Confidence', 'Evidence'].map(t => h('th', { scope: 'col', text: t })))),
          h('tbody', {}, (insights.answers || []).map(a => h('tr', {}, h('td', { text: a.question }), h('td', { text: a.answer ?? '' }), h('td', {}, badge(a.status)),
            h('td', { text: a.confidence != null ? a.confidence.toFixed(2) : '' }),
            h('td', {}, (a.evidence || []).map(ev => h('button', { type: 'button', class: 'secondary', onclick: () => {
              const turn = document.getElementById(`turn-${ev.turn}`);
              if (turn) { turn.setAttribute('tabindex', '-1'); turn.focus(); }
            } }, `turn ${ev.turn}: “${ev.quote}”`)))))))]
      : h('p', { class: 'muted', text: 'No insights: the call has no questions, or is not analysed yet.' })),
    section('Webhook deliveries', deliveries.data.length
      ? h('table', {}, h('thead', {}, h('tr', {}, ['Event', 'Destination', 'Status', 'Attempts', ''].map(t => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, deliveries.data.map(d => h('tr', {}, h('td', { text: d.eventType }), h('td', {}, h('code', { text: d.url })),
          h('td', {}, badge(d.status)), h('td', { text: d.attemptCount }),
          h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: e => attempt(e.target.parentElement, async () => {
            await api(`/v1/webhook-deliveries/${d.id}/redeliver`, { method: 'POST' });
            render();
          }) }, 'Redeliver'))))))
      : h('p', { class: 'muted', text: 'No webhook deliveries for this call.' })),
  ];
  let pending = null;
  const onEvent = e => {
    if (e.callId !== id || pending) return;
    pending = setTimeout(() => { pending = null; render(); }, 300);
  };
  return { node, onEvent };
}

/** The calling-window fields, filled from <window> when given ({timeZone, days, ranges: [{start, end}]}). */
function callingWindowEditor(window) {
  const w = window || { timeZone: 'callee', days: ['mon', 'tue', 'wed', 'thu', 'fri'], ranges: [{ start: '09:00', end: '17:00' }] };
  const range = (w.ranges && w.ranges[0]) || { start: '09:00', end: '17:00' };
  const day = d => h('label', { class: 'day' }, h('input', { type: 'checkbox', name: `day-${d}`, checked: (w.days || []).includes(d) }), d);
  return h('fieldset', { class: 'card' }, h('legend', { text: 'Calling window (in the callee’s time zone, or one you name)' }),
    h('div', { class: 'inline' },
      h('label', { for: 'cw-tz' }, 'Time zone', h('input', { id: 'cw-tz', name: 'timeZone', value: w.timeZone || 'callee', list: 'zones' })),
      h('label', { for: 'cw-start' }, 'From', h('input', { id: 'cw-start', name: 'start', type: 'time', value: range.start })),
      h('label', { for: 'cw-end' }, 'To', h('input', { id: 'cw-end', name: 'end', type: 'time', value: range.end }))),
    h('div', { class: 'vars', role: 'group', 'aria-label': 'Days' }, DAYS.map(day)),
    h('datalist', { id: 'zones' }, ['callee', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin'].map(z => h('option', { value: z }))));
}

/** The campaign form: creates a campaign (POST) or, given one, edits it (merge patch): name, agent, pacing, calling window. */
function campaignForm(agents, campaign) {
  const form = h('form', { 'aria-label': campaign ? 'Edit campaign' : 'New campaign', onsubmit: e => {
    e.preventDefault();
    attempt(form, async () => {
      const d = new FormData(form);
      const body = {
        name: d.get('name'), agentId: d.get('agentId') || undefined,
        callingWindow: { timeZone: d.get('timeZone'), days: DAYS.filter(x => d.get(`day-${x}`)), ranges: [{ start: d.get('start'), end: d.get('end') }] },
        pacing: { callsPerSecond: Number(d.get('cps')), maxConcurrentCalls: Number(d.get('concurrent')) },
      };
      const { json } = campaign
        ? await api(`/v1/campaigns/${campaign.id}`, { method: 'PATCH', contentType: 'application/merge-patch+json', body })
        : await api('/v1/campaigns', { method: 'POST', body });
      if (campaign) render(); else location.hash = `#/campaigns/${json.id}`;
    });
  } },
  h('h2', { text: campaign ? 'Edit campaign' : 'New campaign' }),
  h('div', { class: 'inline' },
    h('label', { for: 'c-name' }, 'Name', h('input', { id: 'c-name', name: 'name', required: true, value: campaign ? campaign.name : '' })),
    h('label', { for: 'c-agent' }, 'Agent', h('select', { id: 'c-agent', name: 'agentId' }, agents.data.map(a => h('option', { value: a.id,
      selected: campaign ? campaign.agentId === a.id : a.isDefault, text: a.name })))),
    h('label', { for: 'c-cps' }, 'Calls per second', h('input', { id: 'c-cps', name: 'cps', type: 'number', step: '0.1', min: '0.1', value: campaign ? campaign.pacing.callsPerSecond : '1' })),
    h('label', { for: 'c-conc' }, 'Concurrent calls', h('input', { id: 'c-conc', name: 'concurrent', type: 'number', min: '1', value: campaign ? campaign.pacing.maxConcurrentCalls : '5' }))),
  callingWindowEditor(campaign && campaign.callingWindow),
  h('button', { type: 'submit', text: campaign ? 'Save campaign' : 'Create campaign' }));
  return form;
}

async function campaignsPage() {
  const [campaigns, agents] = await Promise.all([get('/v1/campaigns?limit=100'), get('/v1/agents')]);
  const row = c => h('tr', {}, h('td', {}, h('a', { href: `#/campaigns/${c.id}`, text: c.name })), h('td', {}, badge(c.status)), h('td', { text: fmt(c.createdAt) }));
  const tbody = h('tbody', {}, campaigns.data.map(row));
  return { node: [h('h1', { text: 'Campaigns' }),
    h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Status', 'Created'].map(t => h('th', { scope: 'col', text: t })))), tbody),
    moreButton('/v1/campaigns', { limit: 100 }, campaigns, more => tbody.append(...more.map(row)), 'Load older campaigns'),
    h('div', { class: 'card' }, campaignForm(agents))] };
}

async function campaignPage({ id }) {
  const [campaign, stats, calls, agents] = await Promise.all([get(`/v1/campaigns/${id}`), get(`/v1/campaigns/${id}/stats`),
    get(`/v1/calls${query({ campaignId: id, limit: 100 })}`), get('/v1/agents')]);
  const action = (label, path) => h('button', { type: 'button', class: 'secondary', onclick: e => attempt(e.target.parentElement, async () => {
    await api(`/v1/campaigns/${id}/${path}`, { method: 'POST' });
    render();
  }) }, label);
  const actions = { draft: [action('Activate', 'activate')], active: [action('Pause', 'pause')], paused: [action('Resume', 'resume')] }[campaign.status] || [];
  const stat = (label, value) => h('div', { class: 'stat' }, label, h('b', { text: value }));
  const ended = calls.data.filter(c => c.endedAt).sort((a, b) => Date.parse(a.endedAt) - Date.parse(b.endedAt));
  const progress = chart('Calls ended over time', ended.map(c => Date.parse(c.endedAt) / 1000), [{ name: 'ended', values: ended.map((_, i) => i + 1) }]);

  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,text/csv', required: true });
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Import progress' });
  const note = h('span', { class: 'muted', role: 'status' });
  const importForm = h('form', { class: 'inline', 'aria-label': 'Import contacts', onsubmit: e => {
    e.preventDefault();
    attempt(importForm, async () => {
      const { response } = await api(`/v1/campaigns/${id}/contacts`, { method: 'POST', body: file.files[0], contentType: 'text/csv' });
      for (;;) {
        const imp = await get(response.headers.get('Location'));
        bar.value = imp.progress;
        note.textContent = `${imp.status}: ${imp.rowsRead} rows read, ${imp.accepted} accepted, ${imp.invalid} invalid, ${imp.duplicate} duplicate, ${imp.dncSuppressed} on DNC`;
        if (imp.status !== 'running') break;
        await new Promise(r => setTimeout(r, 500));
      }
    });
  } }, h('label', { for: 'import-file' }, 'Contacts (CSV: phone and variables)', file), h('button', { type: 'submit', text: 'Import' }), bar, note);

  return { node: [
    h('h1', {}, campaign.name, ' ', badge(campaign.status)),
    actions.length ? h('div', { class: 'card' }, actions) : '',
    h('div', { class: 'grid' }, stat('Contacts', stats.contacts), stat('Pending', stats.pending), stat('Scheduled', stats.scheduled),
      stat('In progress', stats.inProgress), stat('Attempts', stats.attempts), stat('Pick-up rate', `${Math.round((stats.pickupRate || 0) * 100)} %`),
      Object.entries(stats.doneByOutcome || {}).map(([k, v]) => stat(`Done: ${k.replace(/_/g, ' ')}`, v))),
    h('h2', { text: 'Progress' }), progress, outcomesByHour(calls.data),
    h('h2', { text: 'Contacts' }), h('div', { class: 'card' }, importForm),
    h('p', {}, h('a', { href: `#/calls?campaignId=${id}`, text: 'This campaign’s calls' })),
    ['draft', 'active', 'paused'].includes(campaign.status) ? h('div', { class: 'card' }, campaignForm(agents, campaign)) : ''],
  onEvent: e => { if (calls.data.some(c => c.id === e.callId) && e.type === 'call.ended') render(); } };
}

async function dncPage() {
  const list = await get('/v1/dnc?limit=100');
  const result = h('div', { role: 'status' });
  const check = h('form', { class: 'inline', 'aria-label': 'Check numbers', onsubmit: e => {
    e.preventDefault();
    attempt(check, async () => {
      const numbers = new FormData(check).get('numbers').split(/[\s,]+/).filter(Boolean);
      const { json } = await api('/v1/dnc/check', { method: 'POST', body: { numbers } });
      result.replaceChildren(h('ul', {}, json.results.map(r => h('li', {}, `${r.number}: `, h('strong', { text: r.listed ? 'listed' : 'not listed' }), r.entry && r.entry.reason ? ` (${r.entry.reason})` : ''))));
    });
  } }, h('label', { for: 'dnc-check' }, 'Search / check numbers (E.164, comma or space separated)', h('input', { id: 'dnc-check', name: 'numbers', required: true, size: 40 })), h('button', { type: 'submit', text: 'Check' }));
  const add = h('form', { class: 'inline', 'aria-label': 'Add a number', onsubmit: e => {
    e.preventDefault();
    attempt(add, async () => {
      const d = new FormData(add);
      await api('/v1/dnc', { method: 'POST', body: { number: d.get('number'), reason: d.get('reason') || undefined, optOut: d.get('optOut') === 'on' } });
      render();
    });
  } }, h('label', { for: 'dnc-number' }, 'Number', h('input', { id: 'dnc-number', name: 'number', required: true })),
  h('label', { for: 'dnc-reason' }, 'Reason', h('input', { id: 'dnc-reason', name: 'reason' })),
  h('label', { for: 'dnc-optout' }, 'Callee opted out', h('input', { id: 'dnc-optout', name: 'optOut', type: 'checkbox' })),
  h('button', { type: 'submit', text: 'Add' }));
  const importForm = h('form', { class: 'inline', 'aria-label': 'Import numbers', onsubmit: e => {
    e.preventDefault();
    attempt(importForm, async () => {
      const text = new FormData(importForm).get('lines');
      const entries = text.split('\n').map(l => l.trim()).filter(Boolean).map(l => { const [number, ...reason] = l.split(','); return { number: number.trim(), reason: reason.join(',').trim() || undefined }; });
      const { json } = await api('/v1/dnc/bulk', { method: 'POST', body: { entries } });
      importNote.textContent = `added ${json.added}, upgraded ${json.upgraded}, kept ${json.kept}, invalid ${(json.invalid || []).length}`;
    });
  } }, h('label', { for: 'dnc-lines' }, 'Import: one “number, reason” per line', h('textarea', { id: 'dnc-lines', name: 'lines', rows: 4 })), h('button', { type: 'submit', text: 'Import' }));
  const importNote = h('p', { class: 'muted', role: 'status' });
  const row = d => h('tr', {}, h('td', { text: d.number }), h('td', { text: d.reason || '' }), h('td', { text: d.optOut ? 'yes' : '' }), h('td', { text: fmt(d.createdAt) }));
  const tbody = h('tbody', {}, list.data.map(row));
  return { node: [h('h1', { text: 'Do not call' }), h('div', { class: 'card' }, check, result), h('div', { class: 'card' }, add), h('div', { class: 'card' }, importForm, importNote),
    h('table', {}, h('thead', {}, h('tr', {}, ['Number', 'Reason', 'Opt-out', 'Added'].map(t => h('th', { scope: 'col', text: t })))), tbody),
    moreButton('/v1/dnc', { limit: 100 }, list, more => tbody.append(...more.map(row)), 'Load more numbers')] };
}

async function agentsPage() {
  const agents = await get('/v1/agents');
  return { node: [h('h1', { text: 'Agents' }), h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Key', 'Mode', 'Default'].map(t => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, agents.data.map(a => h('tr', {}, h('td', {}, h('a', { href: `#/agents/${a.id}`, text: a.name })), h('td', {}, h('code', { text: a.key })),
      h('td', { text: a.mode }), h('td', { text: a.isDefault ? 'yes' : '' })))))] };
}

/** The {variable} placeholders a prompt uses. */
const placeholders = text => [...new Set([...(text || '').matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map(m => m[1]))];

async function agentPage({ id }) {
  const agent = await get(`/v1/agents/${id}`);
  const declared = new Set((agent.variables || []).map(v => v.name));
  const prompt = h('textarea', { id: 'a-prompt', name: 'prompt', rows: 10 }, agent.prompt || '');
  const first = h('textarea', { id: 'a-first', name: 'firstMessage', rows: 3 }, agent.firstMessage || '');
  const vars = h('div', { class: 'vars', 'aria-live': 'polite' });
  const showVars = () => vars.replaceChildren(...placeholders(prompt.value + ' ' + first.value).map(v =>
    h('span', { class: `badge ${declared.has(v) ? 'answered' : ''}`, title: declared.has(v) ? 'declared in variables' : 'used, not declared' }, `{${v}}`)));
  prompt.addEventListener('input', showVars);
  first.addEventListener('input', showVars);
  showVars();
  const saved = h('span', { class: 'muted', role: 'status' });
  const form = h('form', { 'aria-label': 'Agent prompt', onsubmit: e => {
    e.preventDefault();
    attempt(form, async () => {
      await api(`/v1/agents/${id}`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { prompt: prompt.value, firstMessage: first.value } });
      saved.textContent = 'Saved.';
    });
  } },
  h('label', { for: 'a-prompt' }, 'Prompt', prompt), h('label', { for: 'a-first' }, 'First message', first),
  h('p', {}, 'Variables used: ', vars),
  h('p', { class: 'muted', text: `Declared: ${[...declared].join(', ') || 'none'}. Mode ${agent.mode}; language ${agent.language}; voice ${agent.voice}.` }),
  h('button', { type: 'submit', text: 'Save' }), ' ', saved);
  return { node: [h('h1', {}, 'Agent: ', agent.name), h('div', { class: 'card' }, form)] };
}

async function numbersPage() {
  const numbers = await get('/v1/phone-numbers');
  const form = h('form', { class: 'inline', 'aria-label': 'Add a phone number', onsubmit: e => {
    e.preventDefault();
    attempt(form, async () => {
      const d = new FormData(form);
      await api('/v1/phone-numbers', { method: 'POST', body: { number: d.get('number'), provider: d.get('provider'), label: d.get('label') || undefined, callsPerSecond: Number(d.get('cps')) } });
      render();
    });
  } }, h('label', { for: 'n-number' }, 'Number (E.164)', h('input', { id: 'n-number', name: 'number', required: true })),
  h('label', { for: 'n-provider' }, 'Provider', h('select', { id: 'n-provider', name: 'provider' }, ['sandbox', 'twilio', 'telnyx', 'plivo'].map(p => h('option', { value: p, text: p })))),
  h('label', { for: 'n-label' }, 'Label', h('input', { id: 'n-label', name: 'label' })),
  h('label', { for: 'n-cps' }, 'Calls per second', h('input', { id: 'n-cps', name: 'cps', type: 'number', step: '0.1', min: '0.1', value: '1' })),
  h('button', { type: 'submit', text: 'Add' }));
  return { node: [h('h1', { text: 'Phone numbers' }), h('table', {}, h('thead', {}, h('tr', {}, ['Number', 'Label', 'Provider', 'CPS'].map(t => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, numbers.data.map(n => h('tr', {}, h('td', { text: n.number }), h('td', { text: n.label || '' }), h('td', { text: n.provider }), h('td', { text: n.callsPerSecond }))))),
  h('div', { class: 'card' }, form)] };
}

async function webhooksPage() {
  const [endpoints, deliveries] = await Promise.all([get('/v1/webhook-endpoints'), get('/v1/webhook-deliveries?limit=50')]);
  const secret = h('p', { role: 'status' });
  const form = h('form', { class: 'inline', 'aria-label': 'Add a webhook endpoint', onsubmit: e => {
    e.preventDefault();
    attempt(form, async () => {
      const { json } = await api('/v1/webhook-endpoints', { method: 'POST', body: { url: new FormData(form).get('url') } });
      secret.replaceChildren('Signing secret (shown once): ', h('code', { text: json.secret || '' }));
    });
  } }, h('label', { for: 'w-url' }, 'URL', h('input', { id: 'w-url', name: 'url', type: 'url', required: true, size: 50 })), h('button', { type: 'submit', text: 'Add' }));
  return { node: [h('h1', { text: 'Webhooks' }),
    h('table', {}, h('thead', {}, h('tr', {}, ['URL', 'Events', 'Enabled'].map(t => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, endpoints.data.map(w => h('tr', {}, h('td', {}, h('code', { text: w.url })), h('td', { text: (w.events || []).join(', ') || 'all' }), h('td', { text: w.enabled === false ? 'no' : 'yes' }))))),
    h('div', { class: 'card' }, form, secret),
    h('h2', { text: 'Recent deliveries' }),
    h('table', {}, h('thead', {}, h('tr', {}, ['Event', 'Call', 'Status', ''].map(t => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, deliveries.data.map(d => h('tr', {}, h('td', { text: d.eventType }), h('td', {}, d.callId ? h('a', { href: `#/calls/${d.callId}`, text: d.callId }) : ''), h('td', {}, badge(d.status)),
        h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: e => attempt(e.target.parentElement, async () => {
          await api(`/v1/webhook-deliveries/${d.id}/redeliver`, { method: 'POST' });
          render();
        }) }, 'Redeliver'))))))] };
}

async function keysPage() {
  const keys = await get('/v1/api-keys');
  const shown = h('p', { role: 'status' });
  const form = h('form', { class: 'inline', 'aria-label': 'Create an API key', onsubmit: e => {
    e.preventDefault();
    attempt(form, async () => {
      const { json } = await api('/v1/api-keys', { method: 'POST', body: { name: new FormData(form).get('name') || undefined } });
      shown.replaceChildren('New key (shown once, store it now): ', h('code', { text: json.key }));
    });
  } }, h('label', { for: 'k-name' }, 'Name', h('input', { id: 'k-name', name: 'name' })), h('button', { type: 'submit', text: 'Create key' }));
  return { node: [h('h1', { text: 'API keys' }),
    h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Prefix', 'Created', 'Revoked', ''].map(t => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, keys.data.map(k => h('tr', {}, h('td', { text: k.name }), h('td', {}, h('code', { text: k.prefix })), h('td', { text: fmt(k.createdAt) }), h('td', { text: fmt(k.revokedAt) }),
        h('td', {}, k.revokedAt ? '' : h('button', { type: 'button', class: 'secondary', onclick: e => attempt(e.target.parentElement, async () => {
          if (!confirm(`Revoke the key ${k.prefix}…?`)) return;
          await api(`/v1/api-keys/${k.id}`, { method: 'DELETE' });
          render();
        }) }, 'Revoke')))))),
    h('div', { class: 'card' }, form, shown)] };
}

/** The operator's page (operator key): every account, create one (its first API key shown once), disable or enable. */
async function accountsPage() {
  const list = await get('/v1/admin/accounts?limit=100');
  const row = a => {
    const toggle = h('button', { type: 'button', class: 'secondary', text: a.disabledAt ? 'Enable' : 'Disable', onclick: () => attempt(toggle.parentElement, async () => {
      if (!a.disabledAt && !confirm(`Disable ${a.name}? Its API keys stop working and its calls wait until it is enabled again.`)) return;
      const { json } = await api(`/v1/admin/accounts/${encodeURIComponent(a.id)}/${a.disabledAt ? 'enable' : 'disable'}`, { method: 'POST' });
      tr.replaceWith(row(json));
    }) });
    const tr = h('tr', { 'data-account': a.id }, h('td', { text: a.name }), h('td', {}, h('code', { text: a.id })),
      h('td', { class: 'state' }, badge(a.disabledAt ? 'disabled' : 'enabled')), h('td', { text: a.maxConcurrentCalls }),
      h('td', { text: fmt(a.createdAt) }), h('td', {}, toggle));
    return tr;
  };
  const tbody = h('tbody', {}, list.data.map(row));
  const shown = h('div', { role: 'status' });
  const form = h('form', { class: 'inline', 'aria-label': 'Create an account', onsubmit: e => {
    e.preventDefault();
    attempt(form, async () => {
      const d = new FormData(form);
      const body = { name: d.get('name') };
      if (d.get('callerId')) body.callerId = d.get('callerId');
      if (d.get('maxConcurrentCalls')) body.maxConcurrentCalls = Number(d.get('maxConcurrentCalls'));
      const { json } = await api('/v1/admin/accounts', { method: 'POST', body });
      tbody.prepend(row(json.account));
      shown.replaceChildren(h('p', {}, `Account ${json.account.name} created. Its first API key (shown once, store it now): `, h('code', { text: json.apiKey.key })));
      form.reset();
    });
  } },
  h('label', { for: 'a-name' }, 'Name', h('input', { id: 'a-name', name: 'name', required: true, maxlength: 200 })),
  h('label', { for: 'a-caller' }, 'Caller ID (optional)', h('input', { id: 'a-caller', name: 'callerId', placeholder: '+15550000100' })),
  h('label', { for: 'a-max' }, 'Max concurrent calls', h('input', { id: 'a-max', name: 'maxConcurrentCalls', type: 'number', min: 1, max: 10000 })),
  h('button', { type: 'submit', text: 'Create account' }));
  return { node: [h('h1', { text: 'Accounts' }), h('div', { class: 'card' }, form, shown),
    h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Id', 'State', 'Max concurrent calls', 'Created', ''].map(t => h('th', { scope: 'col', text: t })))), tbody),
    moreButton('/v1/admin/accounts', { limit: 100 }, list, more => tbody.append(...more.map(row)), 'Load older accounts')] };
}

// ---------- Router ----------

const operatorRoutes = [
  [/^#\/accounts$/, () => accountsPage(), '#/accounts'],
];

const routes = [
  [/^#\/calls\/([^/?]+)$/, m => callPage({ id: decodeURIComponent(m[1]) }), '#/calls'],
  [/^#\/calls(?:\?(.*))?$/, m => callsPage({ query: m[1] }), '#/calls'],
  [/^#\/campaigns\/([^/?]+)$/, m => campaignPage({ id: decodeURIComponent(m[1]) }), '#/campaigns'],
  [/^#\/campaigns$/, () => campaignsPage(), '#/campaigns'],
  [/^#\/dnc$/, () => dncPage(), '#/dnc'],
  [/^#\/agents\/([^/?]+)$/, m => agentPage({ id: decodeURIComponent(m[1]) }), '#/agents'],
  [/^#\/agents$/, () => agentsPage(), '#/agents'],
  [/^#\/numbers$/, () => numbersPage(), '#/numbers'],
  [/^#\/webhooks$/, () => webhooksPage(), '#/webhooks'],
  [/^#\/keys$/, () => keysPage(), '#/keys'],
];

let current = null;
let generation = 0;

async function render() {
  if (!apiKey()) {
    main.replaceChildren(signInPage());
    return;
  }
  const operator = isOperator();
  const hash = location.hash || (operator ? '#/accounts' : '#/calls');
  const route = (operator ? operatorRoutes : routes).find(([re]) => re.test(hash));
  if (current) listeners.delete(current);
  current = null;
  for (const a of nav.querySelectorAll('a')) a.toggleAttribute('aria-current', false);
  if (!route) {
    main.replaceChildren(h('h1', { text: 'Not found' }), h('p', {}, operator
      ? h('a', { href: '#/accounts', text: 'Back to accounts' })
      : h('a', { href: '#/calls', text: 'Back to calls' })));
    return;
  }
  const active = nav.querySelector(`a[href="${route[2]}"]`);
  if (active) active.setAttribute('aria-current', 'page');
  const mine = ++generation;
  try {
    const page = await route[1](hash.match(route[0]));
    if (mine !== generation) return;
    main.replaceChildren(...[].concat(page.node));
    if (page.onEvent) { current = page.onEvent; listeners.add(current); }
  } catch (e) {
    if (mine !== generation || (e instanceof ApiError && e.status === 401)) return;
    main.replaceChildren(h('h1', { text: 'Something went wrong' }), errorBox(e));
  }
  document.title = `${main.querySelector('h1')?.textContent || ''} · Outdial`;
}

function start() {
  const operator = isOperator();
  // The operator key has no account: Accounts is its only page, and it has no event stream.
  for (const a of nav.querySelectorAll('a')) a.hidden = (a.getAttribute('href') === '#/accounts') !== operator;
  nav.hidden = false;
  signOutButton.hidden = false;
  if (!operator) stream();
  render();
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(MODE);
  if (streamAbort) streamAbort.abort();
  nav.hidden = true;
  signOutButton.hidden = true;
  liveBadge.textContent = '';
  main.replaceChildren(signInPage(message));
}

signOutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => { render(); main.focus({ preventScroll: true }); });
if (apiKey()) start(); else main.replaceChildren(signInPage());
