/* Last file: every part is registered, so the page can start. */
window.mailhop.start();
