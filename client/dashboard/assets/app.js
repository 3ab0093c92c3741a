// The statledger audit dashboard. Everything it shows comes from the ledger, which is
// untrusted: elements are built with createElement and text nodes only, never from
// HTML strings.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  // el builds an element; children are nodes or text (strings and numbers).
  function el(tag, cls, ...children) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function fmtTime(iso) {
    if (!iso || iso.startsWith('0001-')) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return '—';
    return d.toISOString().replace('T', ' ').slice(0, 19);
  }

  // badge shows a verdict or check status: pass, fail, pending, unaudited, error.
  function badge(status, text) {
    const s = status || 'unaudited';
    const b = el('span', 'badge ' + s.replace(/[^a-z]/g, ''), text || s);
    b.dataset.status = s;
    return b;
  }

  function chip(text, cls) {
    return el('span', 'chip' + (cls ? ' ' + cls : ''), text);
  }

  function code(text, cls) {
    const c = el('code', cls || '', text);
    c.title = text;
    return c;
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      throw new Error((body && body.error) || ('HTTP ' + r.status));
    }
    return body;
  }

  function banner(msg) {
    const b = $('banner');
    b.textContent = msg || '';
    b.hidden = !msg;
  }

  // selected is the query shown in the detail, from the page's address (#query=ID).
  function selected() {
    const m = /^#query=([A-Za-z0-9._-]+)$/.exec(location.hash);
    return m ? m[1] : '';
  }

  let seen = null; // the query IDs of the last render; null before the first

  function renderConsortium(c, chain) {
    const tbody = $('orgs').tBodies[0];
    tbody.replaceChildren();
    if (!c) return;
    $('consortium-name').textContent = c.name + ' · version ' + c.version;
    $('threshold').textContent = 'Decryption needs ' + c.threshold + ' of ' + c.keyHolders + ' key holders.';
    for (const o of c.orgs) {
      const roles = el('td', 'roles');
      for (const r of o.roles) roles.append(chip(r, r === 'keyholder' ? 'key' : ''));
      const tr = el('tr', '', el('td', 'strong', o.name), el('td', '', code(o.mspID)), roles);
      tr.dataset.msp = o.mspID;
      tbody.append(tr);
    }
    const peers = $('peers');
    if (chain && chain.peers && chain.peers.length) {
      peers.textContent = 'Chain compared over ' + chain.blocks + ' blocks: ' +
        chain.peers.map((p) => p.org + ' (height ' + p.height + ', tip ' + (p.tipHash || '').slice(0, 12) + '…)').join(', ') + '.';
    } else {
      peers.textContent = '';
    }
  }

  function renderChain(chain) {
    const b = $('chain');
    const st = chain && chain.check ? chain.check.status : '';
    b.className = 'badge ' + (st || 'unaudited');
    b.textContent = 'chain: ' + (st || 'not audited');
    b.title = chain && chain.check ? chain.check.detail : 'Blocks compared across organisations\' peers';
  }

  function checkList(checks) {
    const ul = el('ul', 'checks-inline');
    for (const c of checks || []) {
      const li = el('li', '', badge(c.status, c.name));
      li.title = c.detail;
      ul.append(li);
    }
    return ul;
  }

  function renderDatasets(list) {
    const box = $('datasets');
    box.replaceChildren();
    if (!list.length) {
      box.append(el('p', 'muted', 'No datasets on the ledger yet.'));
      return;
    }
    for (const d of list) {
      const card = el('article', 'card');
      card.dataset.dataset = d.id;
      card.append(el('div', 'card-head',
        el('div', '', el('div', 'strong', d.title), code(d.id, 'small')),
        el('div', 'right', chip(d.status), ' ', badge(d.audit, d.stale ? d.audit + ' · re-auditing' : d.audit))));
      const bar = el('div', 'bar');
      const fill = el('div', 'fill');
      fill.style.width = Math.max(0, Math.min(100, d.budget.spentPercent)) + '%';
      bar.append(fill);
      card.append(el('div', 'budget',
        el('div', 'budget-text', 'Privacy budget: ', el('strong', '', 'ε ' + d.budget.remaining), ' left of ε ' + d.budget.total,
          ' (spent ε ' + d.budget.spent + ')'), bar));
      if (d.checks && d.checks.length) card.append(checkList(d.checks));
      const t = el('table', 'small');
      t.append(el('thead', '', el('tr', '', el('th', '', 'Submission'), el('th', '', 'Provider'), el('th', '', 'Period'),
        el('th', 'num', 'Records'), el('th', '', 'Status'), el('th', '', 'Tx'))));
      const tb = el('tbody');
      for (const s of d.submissions) {
        const tr = el('tr', s.status === 'superseded' ? 'dim' : '',
          el('td', '', code(s.id, 'tx')), el('td', '', s.provider), el('td', '', s.period),
          el('td', 'num', s.records.toLocaleString('en')), el('td', '', s.status), el('td', '', code(s.txID, 'tx')));
        tr.title = 'submitted ' + fmtTime(s.submittedAt) + ' UTC';
        tb.append(tr);
      }
      if (!d.submissions.length) tb.append(el('tr', '', el('td', 'muted', 'no submissions')));
      t.append(tb);
      card.append(t);
      box.append(card);
    }
  }

  const rows = new Map(); // query ID -> its row, kept across renders

  // renderQueries updates the list in place: rows stay the same elements, so that a
  // click during an update lands.
  function renderQueries(list) {
    const tbody = $('queries').tBodies[0];
    const sel = selected();
    const ids = new Set(list.map((q) => q.id));
    for (const [id, tr] of rows) {
      if (!ids.has(id)) { tr.remove(); rows.delete(id); }
    }
    list.forEach((q, i) => {
      let tr = rows.get(q.id);
      if (!tr) {
        tr = el('tr');
        tr.dataset.queryId = q.id;
        tr.addEventListener('click', () => { location.hash = 'query=' + q.id; });
        rows.set(q.id, tr);
        if (seen) tr.classList.add('new');
      }
      tr.classList.add('clickable');
      tr.classList.toggle('selected', q.id === sel);
      tr.dataset.status = q.status;
      tr.dataset.audit = q.stale ? 'stale' : q.audit;
      tr.replaceChildren(
        el('td', '', code(q.id)), el('td', '', q.statistic), el('td', '', code(q.datasetID)),
        el('td', '', chip(q.status, 'status-' + q.status.replace(/[^a-z]/g, ''))),
        el('td', '', badge(q.audit, q.stale ? q.audit + ' · re-auditing' : q.audit)),
        el('td', 'time', fmtTime(q.requestedAt)));
      if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
    });
    seen = ids;
    $('no-queries').hidden = list.length > 0;
    const count = (v) => list.filter((q) => q.audit === v).length;
    const sum = $('query-summary');
    sum.replaceChildren();
    if (list.length) {
      sum.append(list.length + (list.length === 1 ? ' query: ' : ' queries: '));
      for (const v of ['pass', 'fail', 'pending', 'error', 'unaudited']) {
        if (count(v)) sum.append(badge(v, count(v) + ' ' + v));
      }
    }
  }

  function renderDetail(d) {
    const box = $('detail');
    box.replaceChildren();
    box.dataset.queryId = d.id;
    box.append(el('div', 'detail-head',
      el('div', '', el('h2', '', 'Query ', code(d.id)), el('div', 'desc', d.description)),
      el('div', 'right', chip(d.status, 'status-' + d.status.replace(/[^a-z]/g, '')), ' ',
        badge(d.audit, d.stale ? d.audit + ' · re-auditing' : d.audit))));
    box.append(el('dl', 'facts',
      el('dt', '', 'Dataset'), el('dd', '', code(d.datasetID)),
      el('dt', '', 'Requester'), el('dd', '', d.requester),
      el('dt', '', 'Epsilon'), el('dd', '', 'ε ' + d.epsilon),
      el('dt', '', 'Cells'), el('dd', '', d.cells),
      el('dt', '', 'Approval rule'), el('dd', '', d.rule),
      el('dt', '', 'Decryptors'), el('dd', '', d.decryptors.join(', ')),
      el('dt', '', 'Audited'), el('dd', '', d.auditedAt ? fmtTime(d.auditedAt) + ' UTC' : 'not yet')));
    if (d.auditError) box.append(el('p', 'error-text', d.auditError));

    const ol = el('ol', 'timeline');
    for (const s of d.stages) {
      const li = el('li', 'stage ' + s.state);
      li.dataset.stage = s.name;
      li.dataset.state = s.state;
      const checks = el('span', 'stage-checks');
      for (const c of s.checks) checks.append(badge(c.status || 'unaudited', c.name));
      li.append(el('div', 'stage-head', el('span', 'dot'), el('span', 'stage-title', s.title), el('span', 'stage-state', s.state), checks));
      if (s.note) li.append(el('div', 'stage-note', s.note));
      const steps = el('ul', 'steps');
      for (const st of s.steps) {
        const item = el('li', 'step',
          el('span', 'org', st.org), el('span', 'time', fmtTime(st.at)),
          el('span', 'txlabel', 'tx '), code(st.txID, 'tx'));
        item.dataset.txid = st.txID;
        if (st.worker) item.append(el('div', 'step-note', 'worker ', code(st.worker, 'tx')));
        if (st.note) item.append(el('div', 'step-note', st.note));
        if (st.digest) item.append(el('div', 'step-digest', 'digest ', code(st.digest, 'digest')));
        steps.append(item);
      }
      li.append(steps);
      ol.append(li);
    }
    box.append(el('h3', '', 'Timeline'), ol);

    const t = el('table', 'checks');
    t.append(el('thead', '', el('tr', '', el('th', '', 'Check'), el('th', '', 'Status'), el('th', '', 'Detail and evidence'))));
    const tb = el('tbody');
    for (const c of d.checks) {
      const ev = el('ul', 'evidence');
      for (const e of c.evidence || []) {
        const li = el('li', '', el('span', 'kind', e.kind));
        if (e.id) li.append(' ', code(e.id));
        if (e.org) li.append(' ', chip(e.org));
        if (e.txID) li.append(' tx ', code(e.txID, 'tx'));
        if (e.digest) li.append(' sha256 ', code(e.digest, 'digest'));
        if (e.note) li.append(' — ' + e.note);
        ev.append(li);
      }
      const tr = el('tr', 'check-row ' + c.status, el('td', 'strong', c.name), el('td', '', badge(c.status)),
        el('td', '', el('div', '', c.detail), ev));
      tr.dataset.check = c.name;
      tr.dataset.status = c.status;
      tb.append(tr);
    }
    if (!d.checks.length) tb.append(el('tr', '', el('td', 'muted', 'not audited yet')));
    t.append(tb);
    box.append(el('h3', '', 'Audit checks'), t);
    if (d.table) box.append(el('h3', '', 'Released table'), el('pre', 'table', d.table));
  }

  let busy = false;
  let again = false;

  // refresh reads the overview and the selected query's detail, one refresh at a time.
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const o = await getJSON('api/overview');
        banner(o.ledgerError ? 'The ledger could not be read: ' + o.ledgerError : '');
        renderConsortium(o.consortium, o.chain);
        renderChain(o.chain);
        renderDatasets(o.datasets);
        renderQueries(o.queries);
        let sel = selected();
        if (!sel && o.queries.length) sel = o.queries[0].id;
        if (sel) {
          try {
            renderDetail(await getJSON('api/queries/' + encodeURIComponent(sel)));
          } catch (e) {
            $('detail').replaceChildren(el('p', 'error-text', 'Query ' + sel + ': ' + e.message));
          }
        }
        document.body.dataset.version = String(o.version);
      } while (again);
    } catch (e) {
      banner('Cannot read the dashboard: ' + e.message);
    } finally {
      busy = false;
    }
  }

  function live(on, text) {
    const l = $('live');
    l.className = 'live ' + (on ? 'on' : 'off');
    l.textContent = text;
  }

  function follow() {
    const es = new EventSource('api/events');
    es.addEventListener('hello', () => { live(true, 'live'); refresh(); });
    es.addEventListener('update', () => { refresh(); });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // Refused (too many pages follow updates, or the server stopped): try anew.
        live(false, 'offline · retrying');
        setTimeout(follow, 10000);
      } else {
        live(false, 'reconnecting…');
      }
    };
  }

  window.addEventListener('hashchange', refresh);
  refresh();
  follow();
})();
