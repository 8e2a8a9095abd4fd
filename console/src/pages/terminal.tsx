// A shell in the environment's sandbox over the same PTY WebSocket `warren attach` uses. The key is
// the socket's first message, never part of its URL; terminal bytes travel as binary frames and a
// resize as a JSON text frame.
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "preact/hooks";
import { VERSION } from "../api";
import { storedKey } from "../session";

export function TerminalView({ environmentId }: { environmentId: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState("connecting");

  useEffect(() => {
    const terminal = new Terminal({ convertEol: false, fontSize: 14, cursorBlink: true });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(host.current!);
    fit.fit();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = new URLSearchParams({ cols: String(terminal.cols), rows: String(terminal.rows) });
    const socket = new WebSocket(`${scheme}://${location.host}/${VERSION}/environments/${environmentId}/shell?${query}`);
    socket.binaryType = "arraybuffer";
    const encoder = new TextEncoder();
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "auth", api_key: storedKey() ?? "" }));
      setState("connected");
      terminal.focus();
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") {
        const control = JSON.parse(event.data);
        if (control.type === "exit") setState(`ended (exit ${control.exit_code})`);
      } else {
        terminal.write(new Uint8Array(event.data as ArrayBuffer));
      }
    };
    socket.onclose = (event) => setState((current) => (current.startsWith("ended") ? current : `closed${event.reason ? `: ${event.reason}` : ""}`));
    const input = terminal.onData((data) => socket.readyState === WebSocket.OPEN && socket.send(encoder.encode(data)));
    const resized = terminal.onResize(({ cols, rows }) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resize", cols, rows }));
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host.current!);
    return () => {
      observer.disconnect();
      input.dispose();
      resized.dispose();
      socket.close();
      terminal.dispose();
    };
  }, [environmentId]);

  return (
    <div class="terminal-box">
      <p class="muted" data-testid="terminal-state">
        Terminal: {state}
      </p>
      <div class="terminal" ref={host} data-testid="terminal" />
    </div>
  );
}
