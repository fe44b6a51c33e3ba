// Starts Swagger UI on /api/docs (a static file: the Content-Security-Policy allows no inline script).
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (typeof window.SwaggerUIBundle !== "function" || !root) {
    return; // the page already says which files are missing
  }
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // never ask the online validator (and the network is closed)
    tryItOutEnabled: false,
    persistAuthorization: false, // the token is not kept in localStorage
    displayRequestDuration: true,
  });
});
