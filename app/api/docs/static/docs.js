// Loads the OpenAPI document with the operator's token and hands it to Swagger UI.
(function () {
  const form = document.getElementById("login");
  const input = document.getElementById("token");
  const status = document.getElementById("status");
  input.value = sessionStorage.getItem("technoEtlToken") || "";

  async function load(token) {
    const resp = await fetch("/api/openapi.json", { headers: { Authorization: "Bearer " + token } });
    if (!resp.ok) { status.textContent = "Token refused (" + resp.status + ")"; return; }
    sessionStorage.setItem("technoEtlToken", token);
    status.textContent = "";
    SwaggerUIBundle({
      spec: await resp.json(),
      dom_id: "#swagger-ui",
      requestInterceptor: function (req) { req.headers.Authorization = "Bearer " + token; return req; },
    });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); load(input.value.trim()); });
  if (input.value) { load(input.value); }
})();
