// The API's documentation: Swagger UI on the schema. A classic script (the
// bundle defines the global SwaggerUIBundle); settings come from the page's
// data attributes, so the page has no inline script.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  const csrfToken = root.dataset.csrfToken;
  const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // "Try it out" signed in to the admin: the session needs the CSRF token.
    requestInterceptor(request) {
      if (UNSAFE.has((request.method || "").toUpperCase()) && csrfToken) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
})();
