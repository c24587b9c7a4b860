// Swagger UI over our own document. Kept in a file (not inline) so the page's
// Content-Security-Policy can stay "script-src 'self'" (app/core/headers.py).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#ui",
  deepLinking: true,
  tryItOutEnabled: false,       // "Try it out" is one click away, not on by default for payments
  persistAuthorization: false,  // a token typed here is forgotten when the tab closes
  displayRequestDuration: true,
  // "list": tags open, operations folded. "none" folded the tags too, so no operation (.opblock)
  // was on the page until a tag was clicked: the page looked empty and a check for .opblock timed out.
  docExpansion: "list",
  filter: true,
  validatorUrl: null,           // no call to swagger.io's validator
});
