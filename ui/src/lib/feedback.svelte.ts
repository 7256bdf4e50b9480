// What the window tells a person outside the views: toasts and the confirmation dialog.

import { errorText } from "./ipc";

export interface Toast {
  id: number;
  kind: "error" | "info";
  text: string;
}

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  resolve: (ok: boolean) => void;
}

export class Feedback {
  toasts = $state.raw<Toast[]>([]);
  confirmRequest = $state.raw<ConfirmRequest | null>(null);

  #toastSeq = 0;

  /** Asks first (ConfirmDialog shows it); resolves true when confirmed. */
  confirm(req: Omit<ConfirmRequest, "resolve">): Promise<boolean> {
    this.confirmRequest?.resolve(false);
    return new Promise((resolve) => {
      this.confirmRequest = {
        ...req,
        resolve: (ok) => {
          this.confirmRequest = null;
          resolve(ok);
        },
      };
    });
  }

  toast(text: string, kind: Toast["kind"] = "info", ms = 6000) {
    const id = ++this.#toastSeq;
    this.toasts = [...this.toasts, { id, kind, text }];
    if (ms > 0) setTimeout(() => this.dismissToast(id), ms);
  }

  /** Shows a command's failure; nothing is swallowed silently. */
  error(what: string, e: unknown) {
    this.toast(`${what}: ${errorText(e)}`, "error", 10000);
  }

  dismissToast(id: number) {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}
