/* Self check-in: read the phone's position once, on the cadre's tap, and post it.
   Loaded as a file (no inline script: the Content-Security-Policy forbids it). The messages come from
   data- attributes on the form, so they are translated with the page. */
(function () {
  "use strict";

  var form = document.getElementById("checkin-form");
  if (!form) { return; }
  var button = document.getElementById("checkin-button");
  var status = document.getElementById("checkin-status");

  function say(key, isError) {
    status.textContent = form.dataset[key] || "";
    status.classList.toggle("is-error", Boolean(isError));
  }

  function fail(key) {
    say(key, true);
    button.disabled = false;
  }

  function onPosition(position) {
    var c = position.coords;
    document.getElementById("checkin-latitude").value = c.latitude.toFixed(6);
    document.getElementById("checkin-longitude").value = c.longitude.toFixed(6);
    document.getElementById("checkin-accuracy").value = Math.ceil(c.accuracy);
    say("msgSending", false);
    form.submit();
  }

  function onError(error) {
    if (error.code === error.PERMISSION_DENIED) {
      // Chrome reports an insecure (plain HTTP) origin as a denied permission too.
      fail(window.isSecureContext === false ? "msgInsecure" : "msgDenied");
    } else if (error.code === error.TIMEOUT) {
      fail("msgTimeout");
    } else {
      fail("msgUnavailable");
    }
  }

  button.addEventListener("click", function () {
    if (!("geolocation" in navigator)) {
      fail(window.isSecureContext === false ? "msgInsecure" : "msgUnsupported");
      return;
    }
    button.disabled = true;
    say("msgLocating", false);
    navigator.geolocation.getCurrentPosition(onPosition, onError, {
      enableHighAccuracy: true,
      timeout: 20000,   // ms; a cold GPS fix indoors can take this long
      maximumAge: 0     // a cached position from elsewhere would be wrong evidence
    });
  });
})();
