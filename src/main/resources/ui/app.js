// media-orchestrator dashboard: no build step, no libraries. Data is always set with textContent
// (never as HTML), so nothing a job carries can run as code in this page.
'use strict';

const state = { csrf: null, rows: new Map(), cursor: null, filters: {}, open: null, openTimer: null, partialTimer: null };
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? '' : String(c)));
  return e;
}

async function api(path, options) {
  const opts = Object.assign({ credentials: 'same-origin' }, options || {});
  if (opts.method && opts.method !== 'GET') {
    opts.headers = Object.assign({ 'X-CSRF-Token': state.csrf || '' }, opts.headers || {});
  }
  const r = await fetch(path, opts);
  if (r.status === 401) { location.href = '/ui/'; throw new Error('login required'); }
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = { error: text }; }
  if (!r.ok) throw new Error((body && body.error) || ('HTTP ' + r.status));
  return body;
}

function age(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 86400) return Math.floor(s / 3600) + ' h';
  return Math.floor(s / 86400) + ' d';
}

function duration(ms) {
  if (ms === null || ms === undefined) return '';
  return ms < 10000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms / 1000) + ' s';
}

function matches(job) {
  const f = state.filters;
  return (!f.status || f.status === job.status) && (!f.engine || f.engine === job.engine) && (!f.mediaId || f.mediaId === job.mediaId);
}

// ---- the list ----

function renderRow(job) {
  const tr = el('tr', { 'data-job-id': job.jobId, 'data-status': job.status });
  const link = el('a', { href: '#job/' + job.jobId }, job.jobId);
  const bar = el('progress', { max: '1', value: String(job.progress || 0), 'aria-label': 'progress of ' + job.jobId });
  tr.append(
    el('td', {}, link),
    el('td', { class: 'status status-' + job.status }, job.status),
    el('td', { class: 'phase' }, job.phase || ''),
    el('td', { class: 'num' }, bar, ' ', el('span', { class: 'pct' }, Math.round((job.progress || 0) * 100) + ' %')),
    el('td', {}, job.engine),
    el('td', {}, job.mediaId),
    el('td', { class: 'num age', 'data-created': String(job.createdAt) }, age(job.createdAt)),
    el('td', { class: 'num' }, duration(job.durationMs)));
  return tr;
}

function upsert(job, atTop) {
  const tbody = $('#jobs tbody');
  const old = state.rows.get(job.jobId);
  if (old && old.job.ts > job.ts) return; // an older event than what is shown
  const tr = renderRow(job);
  if (old) {
    old.tr.replaceWith(tr);
  } else if (atTop) {
    tbody.prepend(tr);
  } else {
    tbody.append(tr);
  }
  state.rows.set(job.jobId, { job, tr });
  $('#empty').hidden = state.rows.size > 0;
}

async function loadList(more, keep) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filters)) if (v) q.set(k, v);
  q.set('limit', '50');
  if (more && state.cursor) q.set('cursor', state.cursor);
  const page = await api('/jobs?' + q.toString());
  if (!more && !keep) { $('#jobs tbody').replaceChildren(); state.rows.clear(); }
  for (const job of page.jobs) upsert(job, false);
  state.cursor = page.nextCursor;
  $('#more').hidden = !state.cursor;
  $('#partial').hidden = !page.partial;
  $('#empty').hidden = state.rows.size > 0 || !!page.partial;
  // a process just started reads the bucket's records in the background: ask again until it is done
  clearTimeout(state.partialTimer);
  if (page.partial && !more) state.partialTimer = setTimeout(() => loadList(false, true), 2000);
}

// ---- live updates ----

function connect() {
  const live = $('#live');
  const es = new EventSource('/jobs/events');
  es.onopen = () => { live.textContent = 'live'; live.classList.add('on'); };
  es.onerror = () => { live.textContent = 'reconnecting…'; live.classList.remove('on'); };
  es.addEventListener('reset', () => loadList(false));
  es.addEventListener('job', (ev) => {
    const job = JSON.parse(ev.data);
    if (state.rows.has(job.jobId) || matches(job)) upsert(job, !state.rows.has(job.jobId));
    if (state.open === job.jobId) refreshOpenSoon();
  });
}

// ---- one job ----

function refreshOpenSoon() {
  if (state.openTimer) return;
  state.openTimer = setTimeout(() => { state.openTimer = null; if (state.open) showJob(state.open); }, 300);
}

function fact(dl, name, value) {
  if (value === null || value === undefined || value === '') return;
  dl.append(el('dt', {}, name), el('dd', {}, value));
}

function outputsOf(job) {
  const box = el('div');
  const src = (kind) => '/artifacts/' + encodeURIComponent(job.jobId) + (kind ? '?kind=' + kind : '');
  const outputs = job.outputs || {};
  if (job.status !== 'completed') {
    box.append(el('p', {}, 'The outputs are shown when the job has completed.'));
    return box;
  }
  if (outputs.video) {
    box.append(el('h4', {}, 'Video'));
    box.append(el('video', { id: 'video', controls: '', preload: 'metadata', src: src('video') }));
  }
  if (outputs.audio) {
    box.append(el('h4', {}, 'Audio'));
    box.append(el('audio', { id: 'audio', controls: '', preload: 'metadata', src: src('audio') }));
  }
  if (outputs.thumbnail) {
    box.append(el('h4', {}, 'Thumbnail'), el('img', { src: src('thumbnail'), alt: 'thumbnail of ' + job.jobId, width: '320' }));
  }
  if (outputs.metadata) {
    const pre = el('pre', { id: 'metadata' }, 'loading…');
    box.append(el('h4', {}, 'Metadata'), pre);
    fetch(src('metadata'), { credentials: 'same-origin' }).then((r) => r.json())
      .then((m) => { pre.textContent = JSON.stringify(m, null, 2); })
      .catch((e) => { pre.textContent = 'cannot read the metadata: ' + e.message; });
  }
  if (Array.isArray(outputs.subtitles) && outputs.subtitles.length) {
    const ul = el('ul', { id: 'subtitles' });
    for (const s of outputs.subtitles) {
      ul.append(el('li', {}, el('a', { href: '/artifacts/' + encodeURIComponent(job.jobId) + '?kind=subtitles&lang=' + encodeURIComponent(s.lang) }, s.lang)));
    }
    box.append(el('h4', {}, 'Subtitles'), ul);
  }
  return box;
}

async function showJob(jobId) {
  let job;
  try {
    job = await api('/jobs/' + encodeURIComponent(jobId));
  } catch (e) {
    $('#job-title').textContent = 'Job ' + jobId + ': ' + e.message;
    return;
  }
  if (state.open !== jobId) return;
  $('#job-title').textContent = 'Job ' + job.jobId;
  const dl = $('#job-facts');
  dl.replaceChildren();
  fact(dl, 'Status', job.status);
  fact(dl, 'Phase', job.phase);
  fact(dl, 'Progress', Math.round((job.progress || 0) * 100) + ' %');
  fact(dl, 'Engine', job.engine);
  fact(dl, 'Media', job.mediaId);
  fact(dl, 'Created', new Date(job.createdAt).toLocaleString());
  fact(dl, 'Duration', duration(job.durationMs));
  fact(dl, 'Runs', job.runs);
  if (job.queuePosition) fact(dl, 'Queue position', job.queuePosition);
  if (job.tools) fact(dl, 'Tools', Object.entries(job.tools).map(([k, v]) => k + ' ' + v).join(', '));
  dl.dataset.status = job.status;
  const err = $('#job-error');
  err.hidden = !job.error;
  err.textContent = job.error || '';
  $('#cancel').hidden = ['completed', 'failed', 'canceled'].includes(job.status);
  const tl = $('#timeline');
  tl.replaceChildren();
  for (const t of job.timeline || []) tl.append(el('li', {}, new Date(t.at).toLocaleTimeString() + ' — ' + t.phase));
  showSegments(job.segments);
  const outputs = $('#outputs');
  // a playing video is not replaced by a refresh
  if (!(outputs.dataset.jobId === job.jobId && outputs.dataset.status === job.status)) {
    outputs.replaceChildren(outputsOf(job));
    outputs.dataset.jobId = job.jobId;
    outputs.dataset.status = job.status;
  }
  const tbody = $('#deliveries tbody');
  const note = $('#deliveries-note');
  if (['completed', 'failed', 'canceled'].includes(job.status)) {
    try {
      const d = await api('/jobs/' + encodeURIComponent(jobId) + '/deliveries');
      tbody.replaceChildren();
      for (const a of d.deliveries || []) {
        tbody.append(el('tr', { class: 'delivery' }, el('td', {}, new Date(a.at).toLocaleString()),
          el('td', {}, a.status === null || a.status === undefined ? 'no answer' : String(a.status)),
          el('td', {}, duration(a.durationMs)), el('td', {}, a.error || '')));
      }
      note.textContent = d.delivered ? 'Delivered.' : d.abandoned ? 'Given up.' :
        d.nextAttemptAt ? 'Next attempt ' + new Date(d.nextAttemptAt).toLocaleString() + '.' : 'Not sent yet.';
      if (!d.delivered && !d.abandoned) refreshLater();
    } catch (e) {
      note.textContent = 'cannot read the deliveries: ' + e.message;
    }
  } else {
    tbody.replaceChildren();
    note.textContent = 'The callback is sent when the job ends.';
  }
}

// a burn split into segments (docs/segmented-burn.md): the plan, each segment and the join, each a burner's task
function showSegments(seg) {
  const box = $('#segments-box');
  box.hidden = !seg;
  if (!seg) return;
  const note = seg.mode === 'planning' ? 'Planning where to cut the input…'
    : seg.mode === 'single' ? 'Burned in one run: ' + (seg.reason || 'one segment')
    : seg.completed + ' of ' + seg.count + ' segments up' + (seg.duration ? ' (' + duration(seg.duration * 1000) + ' of input)' : '');
  $('#segments-note').textContent = note;
  const row = (name, span, t) => el('tr', { class: 'segment' }, el('th', { scope: 'row' }, name), el('td', {}, span),
    el('td', { class: 'status status-' + t.status }, t.status),
    el('td', {}, el('progress', { max: '1', value: String(t.status === 'completed' ? 1 : t.progress || 0) })),
    el('td', { class: 'num' }, String(t.attempts)), el('td', { class: 'error' }, t.error || ''));
  const span = (s) => s.start.toFixed(2) + ' – ' + (s.end === null || s.end === undefined ? 'end' : s.end.toFixed(2)) + ' s';
  const rows = [row('Plan', 'whole input', seg.plan)];
  for (const s of seg.items || []) rows.push(row('Segment ' + s.index, span(s), s));
  if (seg.mode === 'split') rows.push(row('Join', 'whole input', seg.join));
  $('#segments tbody').replaceChildren(...rows);
}

function refreshLater() {
  setTimeout(() => { if (state.open) refreshOpenSoon(); }, 2000);
}

function route() {
  const m = location.hash.match(/^#job\/(job_[a-z2-7]{26})$/);
  if (m) {
    state.open = m[1];
    $('#list').hidden = true;
    $('#submit').hidden = true;
    $('#job').hidden = false;
    $('#outputs').replaceChildren();
    delete $('#outputs').dataset.jobId;
    showJob(m[1]);
    $('#job-title').focus();
  } else {
    state.open = null;
    $('#job').hidden = true;
    $('#list').hidden = false;
    $('#submit').hidden = !state.submit;
  }
}

// ---- actions ----

async function upload(mediaId, what, file) {
  await api('/ui/api/media/' + encodeURIComponent(mediaId) + '/' + what, { method: 'PUT', body: file });
}

async function submitJob(body) {
  const r = await api('/ui/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  $('#submit-result').textContent = 'Job ' + r.jobId + ' ' + r.status + '.';
  return r;
}

function wire() {
  $('#filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    state.filters = { status: f.get('status'), engine: f.get('engine'), mediaId: f.get('mediaId').trim() };
    loadList(false).catch((e) => { $('#empty').hidden = false; $('#empty').textContent = e.message; });
  });
  $('#more').addEventListener('click', () => loadList(true));
  $('#cancel').addEventListener('click', async () => {
    if (!state.open) return;
    try { await api('/ui/api/jobs/' + state.open + '/cancel', { method: 'POST' }); } catch (e) { $('#job-error').hidden = false; $('#job-error').textContent = e.message; }
    showJob(state.open);
  });
  $('#logout').addEventListener('click', async () => { await api('/ui/logout', { method: 'POST' }); location.href = '/ui/'; });
  $('#burn-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = $('#submit-result');
    const mediaId = $('#burn-media').value.trim();
    try {
      out.textContent = 'Uploading the video…';
      await upload(mediaId, 'source', $('#burn-video').files[0]);
      out.textContent = 'Uploading the subtitles…';
      await upload(mediaId, 'subtitles', $('#burn-vtt').files[0]);
      await submitJob({ mediaId, engine: 'burner-ffmpeg' });
    } catch (e) { out.textContent = 'Not submitted: ' + e.message; }
  });
  $('#download-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = $('#submit-result');
    const mediaId = 'dl-' + Date.now().toString(36);
    try {
      await submitJob({ mediaId, engine: 'media-downloader', options: { url: $('#download-url').value.trim(), quality: $('#download-quality').value } });
    } catch (e) { out.textContent = 'Not submitted: ' + e.message; }
  });
  window.addEventListener('hashchange', route);
  setInterval(() => { for (const td of document.querySelectorAll('td.age')) td.textContent = age(Number(td.dataset.created)); }, 10000);
}

async function start() {
  $('#job-title').tabIndex = -1;
  const session = await api('/ui/api/session');
  state.csrf = session.csrfToken;
  state.submit = session.submit;
  $('#logout').hidden = session.open;
  wire();
  route();
  connect(); // first: a change during the listing's load is not missed (older news never overwrites newer)
  await loadList(false, true);
}

start().catch((e) => { $('#live').textContent = 'error: ' + e.message; });
