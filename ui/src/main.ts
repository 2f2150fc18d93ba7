import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";

const target = document.getElementById("app");
if (!target) {
  throw new Error("index.html lacks the #app element the UI mounts into");
}

export default mount(App, { target });
