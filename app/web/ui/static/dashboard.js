// The dashboard's charts: Vega-Lite specs built on the server (app/indicators/charts.py),
// drawn here as SVG by the vendored vega-embed. The page's CSP has no 'unsafe-eval', so
// Vega's expressions run in its interpreter (ast + expressionInterpreter), and vega-embed
// injects no <style> (its CSS is in app.css). Every chart's numbers are in the table under
// it, which is what a reader without JavaScript gets.
(function () {
  "use strict";
  var views = {};
  var options = {
    renderer: "svg", actions: false, ast: true, expr: window.vega && window.vega.expressionInterpreter,
    defaultStyle: false, tooltip: { disableDefaultStyle: true }
  };

  function narrow(holder) {
    return !holder.closest("[data-eager]") && holder.clientWidth > 0 && holder.clientWidth < 560;
  }

  function draw(holder) {
    if (holder.getAttribute("data-state")) return;
    holder.setAttribute("data-state", "drawing");
    var id = holder.getAttribute("data-spec");
    var spec = JSON.parse(document.getElementById(id).textContent);
    var report = holder.closest("[data-eager]");
    var small = narrow(holder);
    holder.setAttribute("data-narrow", small ? "1" : "0");
    if (small) {
      // A phone: short axis labels and the legend below, so the marks keep their room.
      spec.config = Object.assign({}, spec.config);
      spec.config.axisY = Object.assign({}, spec.config.axisY, { labelLimit: 90 });
      spec.config.legend = Object.assign({}, spec.config.legend, { orient: "bottom" });
    }
    if (report) {
      // The printable report: two charts side by side on an A4 page, one page per indicator.
      spec.width = 250;
      spec.height = Math.min(spec.height || 150, 140);
    }
    return window.vegaEmbed(holder, spec, options).then(function (result) {
      views[id] = result.view;
      // The holder is role="img" with the chart's title; the numbers are in the table.
      var svg = holder.querySelector("svg");
      if (svg) svg.setAttribute("aria-hidden", "true");
      holder.setAttribute("data-state", "drawn");
    }).catch(function (error) {
      holder.setAttribute("data-state", "failed");
      if (window.console) console.warn("chart " + id + " not drawn:", error);
    });
  }

  // Vega follows the container's width by itself; the phone layout (short labels, legend
  // below) is chosen when drawing, so a chart that crosses 560 px (a phone turned, a window
  // resized) is drawn again.
  function redrawResized() {
    [].forEach.call(document.querySelectorAll(".vega[data-state=drawn]"), function (holder) {
      if ((narrow(holder) ? "1" : "0") === holder.getAttribute("data-narrow")) return;
      var id = holder.getAttribute("data-spec");
      if (views[id]) { views[id].finalize(); delete views[id]; }
      holder.removeAttribute("data-state");
      draw(holder);
    });
  }

  function drawAll() {
    return Promise.all([].map.call(document.querySelectorAll(".vega[data-spec]"), draw));
  }

  function start() {
    if (!window.vegaEmbed || !window.vega || !window.vega.expressionInterpreter) return;
    var holders = document.querySelectorAll(".vega[data-spec]");
    // The report draws everything (it is for printing); the dashboard draws what is near.
    if (document.querySelector("[data-eager]") || !("IntersectionObserver" in window)) {
      drawAll();
      return;
    }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { seen.unobserve(entry.target); draw(entry.target); }
      });
    }, { rootMargin: "600px 0px" });
    holders.forEach(function (holder) { seen.observe(holder); });
  }

  function save(button) {
    var id = button.getAttribute("data-chart");
    var format = button.getAttribute("data-save");
    var view = views[id];
    if (!view) return;
    view.toImageURL(format, format === "png" ? 2 : 1).then(function (url) {
      var link = document.createElement("a");
      link.href = url;
      link.download = (button.getAttribute("data-name") || "chart") + "." + format;
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-save]");
    if (button) save(button);
    if (event.target.closest && event.target.closest("[data-print]")) {
      drawAll().then(function () { window.print(); });
    }
  });
  window.addEventListener("beforeprint", drawAll);
  var resized = null;
  window.addEventListener("resize", function () {
    clearTimeout(resized);
    resized = setTimeout(redrawResized, 150);
  });
  if (document.readyState !== "loading") start(); else document.addEventListener("DOMContentLoaded", start);
})();
