// Renders Steward's OpenAPI document as a readable list, with no code from another site.
(function () {
  "use strict";
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function schemaText(schema) {
    if (!schema) return "";
    if (schema.$ref) return schema.$ref.split("/").pop();
    if (schema.type === "array") return "list of " + schemaText(schema.items);
    return schema.type || "";
  }
  fetch("/api/v1/openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
    var root = document.getElementById("api-docs");
    root.textContent = "";
    root.appendChild(el("p", {}, [doc.info.description]));
    Object.keys(doc.paths).sort().forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var section = el("section", { "class": "card" }, [
          el("h2", {}, [el("code", {}, [method.toUpperCase() + " " + path])]),
          el("p", {}, [op.summary]),
          el("p", {}, ["Needs: ", el("code", {}, [op["x-steward-permission"]])])
        ]);
        if (op.requestBody) {
          section.appendChild(el("p", {}, ["Body: ", el("code", {}, [schemaText(op.requestBody.content["application/json"].schema)])]));
        }
        var ok = Object.keys(op.responses).filter(function (s) { return s[0] === "2"; })[0];
        var content = op.responses[ok].content;
        section.appendChild(el("p", {}, ["Answers " + ok + (content ? ": " + schemaText(content["application/json"].schema) : "")]));
        root.appendChild(section);
      });
    });
    var schemas = doc.components.schemas;
    root.appendChild(el("h2", {}, ["Schemas"]));
    Object.keys(schemas).sort().forEach(function (name) {
      root.appendChild(el("details", {}, [el("summary", {}, [name]), el("pre", {}, [JSON.stringify(schemas[name], null, 2)])]));
    });
  }).catch(function () {
    document.getElementById("api-docs").textContent = "The API document could not be loaded.";
  });
})();
