// The status bar item: the server's state and the model in use; a click shows the output channel.
import * as vscode from 'vscode';
import { ServerState, StatusModel, statusLook } from './statusText';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('infill.status', vscode.StatusBarAlignment.Right, 100);
  state: ServerState = 'starting';

  constructor() {
    this.item.name = 'Infill';
    this.item.command = 'infill.showLog';
    this.set('starting', '');
    this.item.show();
  }

  set(state: ServerState, message: string, model?: StatusModel): void {
    this.state = state;
    const look = statusLook(state, message, model);
    this.item.text = look.text;
    this.item.tooltip = look.tooltip;
    this.item.accessibilityInformation = { label: look.label };
    this.item.backgroundColor = look.isError ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
