// A policy that cannot be used: every problem with its `file:line:col`, so the user can fix them all at once.

export interface PolicyIssue {
  file: string;
  /** 1-based; absent when the problem is the file as a whole (it cannot be read). */
  line?: number;
  column?: number;
  message: string;
}

export function formatIssue(issue: PolicyIssue): string {
  return issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.column ?? 1}: ${issue.message}` : `${issue.file}: ${issue.message}`;
}

export class PolicyError extends Error {
  readonly issues: PolicyIssue[];

  constructor(issues: PolicyIssue[] | PolicyIssue) {
    const list = Array.isArray(issues) ? issues : [issues];
    super(list.map(formatIssue).join('\n'));
    this.name = 'PolicyError';
    this.issues = list;
  }
}
