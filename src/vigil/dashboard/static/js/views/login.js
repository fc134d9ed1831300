// Sign-in: username and password against /auth; a wrong password says so and nothing else.

import { signIn } from "../api.js";
import { h } from "../dom.js";

export function render(root, { onSignedIn }) {
  const message = h("p", { class: "error", role: "alert", id: "login-error", hidden: true });
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in to Vigil"),
    h("label", { for: "username" }, "Username"),
    username,
    h("label", { for: "password" }, "Password"),
    password,
    message,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    message.hidden = true;
    try {
      await signIn(username.value, password.value);
      onSignedIn();
    } catch (error) {
      message.textContent = error.message;
      message.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  root.append(form);
  username.focus();
}
