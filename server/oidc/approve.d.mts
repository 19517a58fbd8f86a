// Types for approve.mjs, for TypeScript tests that import it (vitest runs the .mjs itself).

export class ApprovalError extends Error {}

export interface ApprovalPage {
  host: string;
  path: string;
  status: number;
  title: string;
}

export interface ApprovalResult {
  outcome: "approved" | "denied";
  pages: ApprovalPage[];
}

export interface ApprovalOptions {
  /** verification_uri_complete, verification_uri (then userCode), or tiled's authorization_uri */
  url: string;
  userCode?: string;
  username?: string;
  password?: string;
  deny?: boolean;
  /** where to deny: the provider's consent page (default) or its device confirmation page */
  denyAt?: "confirm" | "consent";
  timeoutMs?: number;
}

export function approveDevice(options: ApprovalOptions): Promise<ApprovalResult>;
