/* Notes for the scenario's author: the player data's `warnings` (docs/player.md), shown while the
   server watches the file (`serve --watch`), above the player. */
(() => {
'use strict';
const M = window.mailhop, { el, watching, P } = M;
const AUTHOR = {
  en: 'For the author of this file: mailhop found these while running it. Fix the file and save it: this page updates by itself.',
  pt: 'Para quem escreveu este arquivo: o mailhop encontrou isto ao executá-lo. Corrija o arquivo e salve: esta página se atualiza sozinha.',
};
function authorWarnings(D) {
  const list = Array.isArray(D.warnings) ? D.warnings.slice(0, 100) : [];
  if (!list.length || !watching()) return null;
  return el('section.banner.author-warnings', { role: 'status' }, el('p', null, AUTHOR[M.lang()] || AUTHOR.en),
    el('ul.problems', { tid: 'author-warnings' }, list.map(w => el('li.problem', null, String(w)))));
}

M.part({ id: 'author-warnings', slot: 'top', order: 20, build: () => authorWarnings(P.data) });
})();
