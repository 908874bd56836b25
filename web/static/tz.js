// Remembers the browser's time zone in a cookie, so the server shows times
// in it. Without JavaScript the page shows UTC and the footer's form
// changes the zone.
(function () {
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("tz=") === -1) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: UTC it is */ }
})();
