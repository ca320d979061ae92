// Halyard's browsable API: sends the page's HAL-FORMS forms, fills their option lists,
// expands templated links and keeps the bearer token. No dependency; served by Halyard.
'use strict';

(function () {
  const body = document.body;
  const root = body.dataset.root;
  const COOKIE = 'halyard_token';

  // -- The bearer token: a cookie, so that page navigations can show a user's cart.
  function token() {
    const found = document.cookie.split(';').map((c) => c.trim())
      .find((c) => c.startsWith(COOKIE + '='));
    return found ? decodeURIComponent(found.slice(COOKIE.length + 1)) : '';
  }
  function storeToken(value) {
    const path = new URL(root, location.href).pathname;
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    const expiry = value ? '' : '; Max-Age=0';
    document.cookie = COOKIE + '=' + encodeURIComponent(value) + '; Path=' + path +
      '; SameSite=Strict' + secure + expiry;
  }
  const tokenForm = document.getElementById('token-form');
  if (token()) {
    tokenForm.classList.add('in-use');
    tokenForm.elements.token.placeholder = 'a token is in use';
  }
  tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    storeToken(tokenForm.elements.token.value.trim());
    location.reload();
  });
  document.getElementById('token-forget').addEventListener('click', () => {
    storeToken('');
    location.reload();
  });

  function headers(extra) {
    const all = Object.assign({ Accept: 'application/hal+json' }, extra);
    if (token()) all.Authorization = 'Bearer ' + token();
    return all;
  }

  // -- A message that survives the reload after a successful write.
  const flash = document.getElementById('flash');
  function showFlash(text, href) {
    flash.textContent = text;
    if (href) {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = href;
      flash.append(' ', a);
    }
    flash.hidden = false;
  }
  const kept = sessionStorage.getItem('halyard-flash');
  if (kept) {
    sessionStorage.removeItem('halyard-flash');
    const { text, href } = JSON.parse(kept);
    showFlash(text, href);
  }

  // -- Templated links (RFC 6570, the operators Halyard uses): expanded and followed.
  function expand(template, values) {
    return template.replace(/\{([+#./;?&]?)([^}]*)\}/g, (_, op, names) => {
      const pairs = names.split(',').map((n) => n.replace(/[:*].*$/, ''))
        .filter((n) => values[n] !== undefined && values[n] !== '')
        .map((n) => [n, encodeURIComponent(values[n])]);
      if (op === '?' || op === '&') {
        return pairs.length ? op + pairs.map(([n, v]) => n + '=' + v).join('&') : '';
      }
      const prefix = op === '/' || op === '.' ? op : '';
      return pairs.map(([, v]) => prefix + v).join(prefix ? '' : ',');
    });
  }
  for (const form of document.querySelectorAll('form.templated-link')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const values = {};
      for (const input of form.querySelectorAll('input')) values[input.name] = input.value.trim();
      location.assign(expand(form.dataset.href, values));
    });
  }

  // -- Option lists: every page of the linked collection, as value and prompt.
  function field(item, path) {
    return path.split('.').reduce((v, key) => (v == null ? v : v[key]), item);
  }
  async function fillOptions(select) {
    const wanted = select.dataset.value;
    const options = [];
    let next = select.dataset.options;
    try {
      for (let page = 0; next && page < 40; page++) {
        const response = await fetch(next, { headers: headers() });
        if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
        const doc = await response.json();
        const items = Object.values(doc._embedded || {}).find(Array.isArray) || [];
        for (const item of items) {
          const value = field(item, select.dataset.valueField);
          if (value == null) continue;
          const prompt = field(item, select.dataset.promptField);
          options.push(new Option(prompt == null ? String(value) : String(prompt),
            String(value)));
        }
        next = doc._links && doc._links.next && doc._links.next.href;
      }
      select.replaceChildren(...(select.multiple ? [] : [new Option('(choose)', '')]), ...options);
      const chosen = (wanted || '').split('\n');
      for (const option of select.options) option.selected = chosen.includes(option.value);
      // The current set is the starting point: a PATCH-like comparison needs it.
      for (const option of select.options) option.defaultSelected = option.selected;
      select.dataset.loaded = 'true';
    } catch (error) {
      select.replaceChildren(new Option('cannot list the options: ' + error.message, ''));
      select.dataset.loaded = 'error';
    }
  }
  document.querySelectorAll('select[data-options]').forEach(fillOptions);

  // -- Several to pick (the set of a book's authors): a checkbox per resource, the
  // current set ticked.
  async function fillChoices(set) {
    const wanted = (set.dataset.value || '').split('\n');
    const loading = set.querySelector('.loading');
    try {
      const boxes = [];
      let next = set.dataset.options;
      for (let page = 0; next && page < 40; page++) {
        const response = await fetch(next, { headers: headers() });
        if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
        const doc = await response.json();
        const items = Object.values(doc._embedded || {}).find(Array.isArray) || [];
        for (const item of items) {
          const value = field(item, set.dataset.valueField);
          if (value == null) continue;
          const prompt = field(item, set.dataset.promptField);
          const label = document.createElement('label');
          label.className = 'choice';
          const box = document.createElement('input');
          box.type = 'checkbox';
          box.name = set.dataset.name;
          box.value = String(value);
          box.checked = box.defaultChecked = wanted.includes(box.value);
          label.append(box, ' ', prompt == null ? String(value) : String(prompt));
          boxes.push(label);
        }
        next = doc._links && doc._links.next && doc._links.next.href;
      }
      loading.replaceWith(...boxes);
      set.dataset.loaded = 'true';
    } catch (error) {
      loading.textContent = 'cannot list the options: ' + error.message;
      set.dataset.loaded = 'error';
    }
  }
  document.querySelectorAll('fieldset.choices[data-options]').forEach(fillChoices);

  // -- HAL-FORMS forms: JSON (only changed fields for PATCH) or text/uri-list.
  function jsonBody(form, method) {
    const out = {};
    for (const control of form.querySelectorAll('input, select')) {
      if (control.dataset.role === 'target' || (control.type === 'checkbox' && !control.checked)) continue;
      let value = control.value;
      if (method === 'PATCH') {
        const before = control.tagName === 'SELECT'
          ? (control.dataset.value || ([...control.options].find((o) => o.defaultSelected) || {}).value || '')
          : control.defaultValue;
        if (value === before) continue;
        if (value === '') { out[control.name] = null; continue; }
      } else if (value === '') {
        continue;
      }
      if (control.dataset.type === 'number' && value.trim() !== '' && !isNaN(Number(value))) {
        value = Number(value);
      }
      out[control.name] = value;
    }
    return JSON.stringify(out);
  }
  function uriList(form) {
    const uris = [];
    for (const control of form.querySelectorAll('input, select')) {
      if (control.dataset.role === 'target' || (control.type === 'checkbox' && !control.checked)) continue;
      const values = control.tagName === 'SELECT'
        ? [...control.selectedOptions].map((o) => o.value) : [control.value];
      uris.push(...values.filter((v) => v.trim() !== ''));
    }
    return uris.join('\r\n') + (uris.length ? '\r\n' : '');
  }
  function showProblem(outcome, status, problem) {
    outcome.className = 'outcome error';
    outcome.textContent = status + ' ' + (problem.title || '') +
      (problem.detail ? ': ' + problem.detail : '');
    if (Array.isArray(problem.errors) && problem.errors.length) {
      const list = document.createElement('ul');
      for (const e of problem.errors) {
        const li = document.createElement('li');
        li.textContent = e.field + ': ' + e.message;
        list.append(li);
      }
      outcome.append(list);
    }
  }
  function sameResource(a, b) {
    const clean = (u) => { const x = new URL(u, location.href); x.search = ''; return x.href; };
    return clean(a) === clean(b);
  }

  for (const form of document.querySelectorAll('form.hal-form')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const { method, contentType, template } = form.dataset;
      // One form for several targets (unlink one of a book's authors): the chosen one.
      const chooser = form.querySelector('[data-role="target"]');
      const target = chooser ? chooser.value : form.dataset.target;
      const outcome = form.querySelector('.outcome');
      if (!target) return;
      // A destructive form asks first; cancelling sends nothing.
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        outcome.className = 'outcome';
        outcome.textContent = 'Cancelled: nothing was sent.';
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      const init = { method, headers: headers() };
      // A change to the page's own resource is made only to what the page shows: a
      // change made meanwhile by someone else gets 412 instead of being overwritten.
      if (method !== 'POST' && body.dataset.etag && sameResource(target, body.dataset.self)) {
        init.headers['If-Match'] = body.dataset.etag;
      }
      if (contentType) {
        init.headers['Content-Type'] = contentType;
        init.body = contentType === 'text/uri-list' ? uriList(form) : jsonBody(form, method);
      }
      outcome.className = 'outcome';
      outcome.textContent = 'Sending…';
      button.disabled = true;
      try {
        const response = await fetch(target, init);
        const text = await response.text();
        let doc = {};
        try { doc = text ? JSON.parse(text) : {}; } catch (_) { doc = { title: text }; }
        if (!response.ok) {
          showProblem(outcome, response.status, doc);
          return;
        }
        const status = response.status + ' ' + (response.statusText || 'OK');
        const location_ = response.headers.get('Location');
        if (typeof doc.token === 'string') {
          // Issued once: shown here, and put in use at once.
          storeToken(doc.token);
          outcome.className = 'outcome done';
          outcome.textContent = status + '. This token is shown only once and is now in use: ' + doc.token;
          return;
        }
        if (method === 'DELETE' && sameResource(target, body.dataset.self)) {
          sessionStorage.setItem('halyard-flash', JSON.stringify({ text: status + ': deleted ' + target }));
          location.assign(body.dataset.parent);
        } else if (location_ && (template === 'default' || template.startsWith('create-'))) {
          location.assign(location_);
        } else {
          sessionStorage.setItem('halyard-flash',
            JSON.stringify({ text: status + ': ' + method + ' ' + new URL(target).pathname, href: location_ }));
          location.reload();
        }
      } catch (error) {
        outcome.className = 'outcome error';
        outcome.textContent = 'The request failed: ' + error.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  // -- The request box: the page's GET again, with the headers chosen, shown as text.
  const requestForm = document.getElementById('request-form');
  if (requestForm) {
    requestForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const result = document.getElementById('request-result');
      const part = (name) => result.querySelector('[data-part="' + name + '"]');
      const chosen = { Accept: requestForm.elements.accept.value };
      const match = requestForm.elements['if-none-match'].value.trim();
      if (match) chosen['If-None-Match'] = match;
      const all = headers(chosen);
      const authorization = requestForm.elements.authorization.value.trim();
      if (authorization) all.Authorization = authorization;
      result.hidden = false;
      part('status').textContent = 'Sending…';
      part('headers').replaceChildren();
      part('body').textContent = '';
      try {
        const response = await fetch(requestForm.dataset.target, { headers: all, cache: 'no-store' });
        part('status').textContent = response.status + ' ' + (response.statusText || '');
        const rows = [];
        for (const [name, value] of response.headers) {
          const tr = document.createElement('tr');
          const th = document.createElement('th');
          th.scope = 'row';
          th.textContent = name;
          const td = document.createElement('td');
          td.textContent = value;
          tr.append(th, td);
          rows.push(tr);
        }
        part('headers').replaceChildren(...rows);
        const text = await response.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
        part('body').textContent = shown;
      } catch (error) {
        part('status').textContent = 'The request failed: ' + error.message;
      }
    });
  }
})();
