// Placeholder entry point of the extension host; replaced by the extension capability.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
