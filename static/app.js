/* Roster admin: small progressive-enhancement helpers.
 *
 * Loaded with <script src="/static/app.js" defer>, after htmx.min.js.
 * Works under CSP script-src 'self': no inline scripts, no eval, no inline
 * event handlers. All behaviour is attached by event delegation on the
 * document, so it also applies to content swapped in by htmx.
 */
(function () {
  "use strict";

  // (a) CSRF: send the token from <meta name="csrf-token"> as the
  // X-CSRF-Token header on every htmx request to this origin. The meta tag is
  // read per request so a token rotated by a boosted navigation is picked up.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function sameOrigin(path) {
    try {
      return new URL(path, document.baseURI).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    var token = csrfToken();
    if (token && sameOrigin(evt.detail.path)) {
      evt.detail.headers["X-CSRF-Token"] = token;
    }
  });

  // (b) Confirmation: <form data-confirm="Remove this user?"> asks before it
  // submits; a submit button may carry its own data-confirm instead. The
  // listener runs in the capture phase on window, before htmx's own submit
  // handler on the form, so a declined confirm stops both normal and htmx
  // (hx-post, hx-boost) submissions.
  window.addEventListener(
    "submit",
    function (evt) {
      var form = evt.target;
      if (!(form instanceof HTMLFormElement)) return;
      var submitter = evt.submitter;
      var message =
        (submitter && submitter.getAttribute("data-confirm")) ||
        form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        evt.preventDefault();
        evt.stopImmediatePropagation();
      }
    },
    true
  );

  // Non-form htmx elements (e.g. <button hx-delete="..." data-confirm="...">)
  // are confirmed through htmx's own confirm hook. Forms are skipped because
  // the submit listener above has already asked.
  document.addEventListener("htmx:confirm", function (evt) {
    var elt = evt.detail.elt;
    if (!elt || elt instanceof HTMLFormElement) return;
    var message = elt.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      evt.preventDefault();
    }
  });

  // (c) Flash messages: a [data-dismiss] button inside .flash removes it.
  document.addEventListener("click", function (evt) {
    var button = evt.target instanceof Element && evt.target.closest("[data-dismiss]");
    if (!button) return;
    var flash = button.closest(".flash");
    if (!flash) return;
    evt.preventDefault();
    flash.remove();
  });
})();

/* Team Updates: an <input type="checkbox" data-select-all> ticks or clears
 * every "ids" checkbox of its form, and shows as partly ticked when only
 * some of them are.
 *
 * When more changes match the tab and filters than the page shows, the form
 * holds a [data-select-matching] block: without JavaScript a plain checkbox
 * (name="scope" value="all"). Here that checkbox is hidden, and once every
 * row of the page is ticked the block says "All 50 on this page are
 * selected" with a button that ticks it ("Select all 1,234 ..."), then
 * "All 1,234 ... are selected" with one that clears the selection. Unticking
 * any row drops back to the ticked rows.
 */
(function () {
  "use strict";

  function boxes(form) {
    return form ? form.querySelectorAll('input[type="checkbox"][name="ids"]') : [];
  }

  // syncMatching shows the block of form that fits its checkboxes.
  function syncMatching(form) {
    var block = form && form.querySelector("[data-select-matching]");
    if (!block) return;
    var field = block.querySelector("[data-select-matching-field]");
    if (field) field.hidden = true;
    var all = form.querySelector("input[data-select-all]");
    var pageTicked = !!all && all.checked && !all.indeterminate;
    var scope = block.querySelector("input[data-select-matching-scope]");
    if (scope && !pageTicked) scope.checked = false;
    block.hidden = !pageTicked;
    var offer = block.querySelector("[data-select-matching-offer]");
    var chosen = block.querySelector("[data-select-matching-chosen]");
    if (offer) offer.hidden = !!scope && scope.checked;
    if (chosen) chosen.hidden = !scope || !scope.checked;
  }

  function syncAll() {
    document.querySelectorAll("[data-select-matching]").forEach(function (block) {
      syncMatching(block.closest("form"));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", syncAll);
  } else {
    syncAll();
  }
  // A page restored from the back/forward cache keeps its ticks.
  window.addEventListener("pageshow", syncAll);
  document.addEventListener("htmx:load", syncAll);

  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "checkbox") return;
    var form = input.form;
    if (!form) return;
    if (input.hasAttribute("data-select-all")) {
      boxes(form).forEach(function (box) {
        box.checked = input.checked;
      });
      syncMatching(form);
      return;
    }
    if (input.name !== "ids") return;
    var all = form.querySelector("input[data-select-all]");
    if (!all) return;
    var list = boxes(form);
    var ticked = 0;
    list.forEach(function (box) {
      if (box.checked) ticked++;
    });
    all.checked = ticked === list.length && ticked > 0;
    all.indeterminate = ticked > 0 && ticked < list.length;
    syncMatching(form);
  });

  document.addEventListener("click", function (evt) {
    var button =
      evt.target instanceof Element &&
      evt.target.closest("[data-select-matching-all], [data-select-matching-clear]");
    if (!button) return;
    var form = button.closest("form");
    var scope = form && form.querySelector("input[data-select-matching-scope]");
    if (!scope) return;
    evt.preventDefault();
    if (button.hasAttribute("data-select-matching-all")) {
      scope.checked = true;
    } else {
      scope.checked = false;
      boxes(form).forEach(function (box) {
        box.checked = false;
      });
      var all = form.querySelector("input[data-select-all]");
      if (all) {
        all.checked = false;
        all.indeterminate = false;
      }
    }
    syncMatching(form);
  });
})();
