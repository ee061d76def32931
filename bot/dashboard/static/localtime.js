// Shows every <time datetime="…Z"> in the reader's own time zone; the UTC time stays in its title (hover).
(function () {
  "use strict";
  function localise() {
    var nodes = document.querySelectorAll("time[datetime]");
    var format;
    try {
      format = new Intl.DateTimeFormat(undefined, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
    } catch (e) {
      return;
    }
    for (var i = 0; i < nodes.length; i++) {
      var when = new Date(nodes[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        nodes[i].textContent = format.format(when);
        nodes[i].classList.add("local");
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
