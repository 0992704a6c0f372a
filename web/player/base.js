/* mailhop web player (docs/player.md). Plain ES2020, no dependencies, no build step.
   The server joins web/player/*.js into one script in the order src/web/pages.rs lists;
   each file is one closure that reads and extends the one namespace, `window.mailhop`.
   This file: strings and language, DOM helpers, icons, time formatting, the glossary. */
(() => {
'use strict';
const M = (window.mailhop = {});
const doc = document, NS = 'http://www.w3.org/2000/svg', KEY = 'mailhop.lang';
const LANES = ['sender', 'internet', 'recipient'], CHANNELS = ['plaintext', 'tls', 'tls-name-only', 'tls-authenticated'];

/* ---------- strings: every file adds its own, in both languages ---------- */
const STR = { en: {}, pt: {} };
/* Add strings; a key two files both define is a mistake, found on the first page load. */
const strings = s => {
  for (const l of ['en', 'pt']) for (const [k, v] of Object.entries(s[l] || {})) {
    if (k in STR[l]) throw new Error('mailhop.strings: ' + l + '.' + k + ' is defined twice');
    STR[l][k] = v;
  }
};
strings({
  en: {
    kinds: { session: 'session, nothing accepted', stored: 'copy written', hop: 'hop', composed: 'written', deferred: 'deferred', retry_scheduled: 'retry', delivered: 'delivered', bounced: 'bounced', dropped: 'dropped', connect_failed: 'connection failed', tls_failed: 'TLS failed', submission_failed: 'not submitted', queued_at_end: 'still queued', node_down: 'down', node_up: 'back up', typed: 'typed', typing_stopped: 'stopped typing', auth: 'login', delay_warned: 'late notice',
      expunged: 'removed from mailbox', moved: 'moved to folder', flagged: 'flags', retrieval_failed: 'reading failed',
      client_checked: 'client looked up', greylisted: 'greylisted', greylist_passed: 'through greylisting',
      dkim_signed: 'DKIM signed', sender_checked: 'sender checked', spam_scored: 'spam score', forwarded: 'forwarded',
      encrypted: 'encrypted (OpenPGP)', pgp_no_key: 'no OpenPGP key', decrypted: 'decrypted' },
    langLabel: 'Language: English. Mudar para português', down: 'down',
  },
  pt: {
    kinds: { session: 'sessão, nada aceito', stored: 'cópia gravada', hop: 'salto', composed: 'escrita', deferred: 'adiado', retry_scheduled: 'nova tentativa', delivered: 'entregue', bounced: 'devolvido', dropped: 'descartado', connect_failed: 'falha de conexão', tls_failed: 'falha de TLS', submission_failed: 'não enviada', queued_at_end: 'ainda na fila', node_down: 'fora do ar', node_up: 'de volta', typed: 'digitado', typing_stopped: 'parou de digitar', auth: 'login', delay_warned: 'aviso de atraso',
      expunged: 'tirada da caixa', moved: 'movida de pasta', flagged: 'marcas', retrieval_failed: 'leitura falhou',
      client_checked: 'cliente investigado', greylisted: 'lista cinza', greylist_passed: 'passou da lista cinza',
      dkim_signed: 'assinada com DKIM', sender_checked: 'remetente verificado', spam_scored: 'pontos de spam', forwarded: 'encaminhada',
      encrypted: 'cifrada (OpenPGP)', pgp_no_key: 'sem chave OpenPGP', decrypted: 'decifrada' },
    langLabel: 'Idioma: português. Switch to English', down: 'fora do ar',
  },
});

/* ---------- language ---------- */
const store = v => { try { return v ? localStorage.setItem(KEY, v) : localStorage.getItem(KEY); } catch (e) { return null; } };
const query = new URLSearchParams(location.search), isLang = v => v === 'pt' || v === 'en';
let lang = isLang(query.get('lang')) ? query.get('lang') : isLang(store()) ? store() : /^pt\b/i.test(navigator.language || '') ? 'pt' : 'en';
const raw = k => STR[lang][k] ?? STR.en[k];
const tr = (k, v) => String(raw(k) ?? k).replace(/\{(\w+)\}/g, (_, x) => (v && v[x] != null ? v[x] : ''));
const loc = o => (o == null ? '' : typeof o === 'string' ? o : o[lang] || o.en || '');
const kindName = k => raw('kinds')[k] || k, chKey = c => (CHANNELS.includes(c) ? c : 'plaintext');
/** A hop's or link's channel in words, as the player data tells it. */
const chText = h => loc(h.channel_text) || h.channel;
/** An event or hop told in the page's language (server quotes stay as said). */
const say = e => (lang === 'pt' && e.text_pt) || e.text || '';
function applyLang() { doc.documentElement.lang = lang === 'pt' ? 'pt-BR' : 'en'; doc.documentElement.dataset.lang = lang; }
function switchLang() {
  lang = lang === 'pt' ? 'en' : 'pt';
  store(lang);
  if (query.has('lang')) {
    query.set('lang', lang);
    try { history.replaceState(null, '', location.pathname + '?' + query + location.hash); } catch (e) { /* file: URLs */ }
  }
  applyLang();
}
function paintLang(b) {
  put(b, el('span' + (lang === 'en' ? '.on' : ''), { lang: 'en' }, 'EN'), el('span' + (lang === 'pt' ? '.on' : ''), { lang: 'pt-BR' }, 'PT'));
  b.dataset.lang = lang;
  b.setAttribute('aria-label', tr('langLabel'));
  b.title = tr('langLabel');
}

/* ---------- DOM helpers: el('tag.class1.class2', {attr, onevent, tid}, ...children) ---------- */
function setup(e, cls, attrs, kids) {
  if (cls.length) e.setAttribute('class', cls.join(' '));
  if (e.tagName === 'BUTTON') e.type = 'button';
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k === 'tid' ? 'data-testid' : k, v === true ? '' : v);
  }
  for (const c of kids.flat(Infinity)) if (c != null && c !== false) e.append(c.nodeType ? c : String(c));
  return e;
}
const mk = make => (sel, attrs, ...kids) => { const [t, ...c] = sel.split('.'); return setup(make(t), c.filter(Boolean), attrs, kids); };
const el = mk(t => doc.createElement(t)), sv = mk(t => doc.createElementNS(NS, t));
const put = (e, ...kids) => { e.textContent = ''; return setup(e, [], null, kids); };
/* A panel's "nothing here" line, and a host name that may wrap only after its dots, never inside a label. */
const empty = k => el('p.empty', null, tr(k));
const host = name => String(name || '').split('.').map((part, i, a) => (i < a.length - 1 ? [part + '.', el('wbr')] : part));

/* Icons: 'R' a rectangle, '*' a filled path, '!' a slash with a halo, else a stroked path (24×24). */
const ICONS = {
  'tls-authenticated': ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0v4', 'M9 16l2 2 4-4'],
  'tls-name-only': ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0v4', 'M12 15v2'],
  tls: ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0'],
  plaintext: ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0v4', '!M3 3l18 18'],
  lock: ['R5 11 14 10', 'M8 11V7a4 4 0 0 1 8 0v4'],
  disk: ['M5 6c0-1.7 3.1-3 7-3s7 1.3 7 3-3.1 3-7 3-7-1.3-7-3z', 'M5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6', 'M5 12c0 1.7 3.1 3 7 3s7-1.3 7-3'],
  power: ['M12 3v8', 'M7 6.3a7.5 7.5 0 1 0 10 0'],
  key: ['M14.5 9.5a4 4 0 1 0-1.2 2.8', 'M13.3 12.3L21 20', 'M18 17l2-2', 'M16 15l2-2'],
  first: ['M17 6l-6 6 6 6', 'M7 6v12'], last: ['M7 6l6 6-6 6', 'M17 6v12'], prev: ['M15 6l-6 6 6 6'], next: ['M9 6l6 6-6 6'],
  play: ['*M8 5l11 7-11 7z'], pause: ['*M7 5h3v14H7z', '*M14 5h3v14h-3z'], screen: ['R3 4 18 12', 'M8 20h8', 'M12 16v4'], x: ['M6 6l12 12', 'M18 6L6 18'],
};
/* An inline SVG icon: with a label it is an image with a name, else decoration. box places it inside an SVG. */
function icon(name, label, box) {
  const s = sv('svg.ic.ic-' + name, { viewBox: '0 0 24 24', 'aria-hidden': label ? null : 'true', role: label ? 'img' : null, 'aria-label': label, focusable: 'false', ...box });
  if (label) s.append(sv('title', null, label));
  for (const p of ICONS[name] || []) {
    const d = p.slice(1);
    if (p[0] === 'R') { const [x, y, width, height] = d.split(' '); s.append(sv('rect', { x, y, width, height, rx: 2 })); }
    else if (p[0] === '*') s.append(sv('path.fill', { d }));
    else if (p[0] === '!') s.append(sv('path.halo', { d }), sv('path.slash', { d }));
    else s.append(sv('path', { d: p }));
  }
  return s;
}

/* ---------- formatting ---------- */
const p2 = n => String(n).padStart(2, '0');
function fmtT(ms) {
  ms = Math.max(0, Math.round(ms || 0));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  return '+' + (h ? `${h}h${p2(m)}m${p2(s)}` : m ? `${m}m${p2(s)}` : s) + (lang === 'pt' ? ',' : '.') + String(ms % 1000).padStart(3, '0') + 's';
}
function fmtTick(ms) {
  const u = [[86400000, 'd'], [3600000, 'h'], [60000, 'm'], [1000, 's']].find(([n]) => ms >= n && ms % n === 0);
  const v = ms === 0 ? '0' : u ? ms / u[0] + u[1] : ms / 1000 + 's';
  return lang === 'pt' ? v.replace('.', ',') : v;
}
/* Virtual time `t` on the calendar, from the run's start (an ISO date). */
function fmtCal(start, t) {
  const d = new Date(Date.parse(start) + (t || 0));
  return isNaN(d) ? '' : new Intl.DateTimeFormat(lang === 'pt' ? 'pt-BR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(d) + ' UTC';
}

/* ---------- the glossary: one list of terms, added to by glossary.js (and later files) ---------- */
/* Each term: [word, {en, pt}, roles it explains]. */
const GLOSSARY = [];
const words = list => { GLOSSARY.push(...list); };
const gloss = term => { const g = GLOSSARY.find(x => x[0] === term); return g ? loc(g[1]) : ''; };
const roleGloss = role => { const g = GLOSSARY.find(x => (x[2] || []).includes(role)); return g ? g[0] + ': ' + loc(g[1]) : ''; };

Object.assign(M, {
  LANES, CHANNELS, STR, strings, query, lang: () => lang, raw, tr, loc, kindName, chKey, chText, say, applyLang, switchLang, paintLang,
  el, sv, put, empty, host, ICONS, icon, fmtT, fmtTick, fmtCal, GLOSSARY, words, gloss, roleGloss,
});
})();
