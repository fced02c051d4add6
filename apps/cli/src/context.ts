import type { Command } from 'commander';
import { ApiClient } from './client';
import { json } from './output';

export interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

/** What every command needs: the API, and whether to print raw JSON or text for people. */
export class Context {
  readonly api: ApiClient;

  constructor(readonly options: GlobalOptions) {
    this.api = new ApiClient(options.url, options.token);
  }

  static of(cmd: Command): Context {
    return new Context(cmd.optsWithGlobals<GlobalOptions>());
  }

  /** `--json` prints the controller's answer as is; otherwise `human()` is printed. */
  print(answer: unknown, human: () => string): void {
    process.stdout.write(`${this.options.json ? json(answer) : human()}\n`);
  }

  say(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  /** A host argument is an id or a name; names are looked up in GET /api/hosts. */
  async host(arg: string): Promise<{ id: string; name: string }> {
    return (await this.hosts([arg]))[0];
  }

  /**
   * What most host commands do: resolve the host argument (id or name), then call
   * `method /api/hosts/<id><route>`; the answer comes back with the host it was for.
   */
  async onHost<T>(arg: string, method: string, route: string, body?: unknown): Promise<{ host: { id: string; name: string }; answer: T }> {
    const host = await this.host(arg);
    return { host, answer: await this.api.request<T>(method, `/api/hosts/${host.id}${route}`, body) };
  }

  /** Several host arguments, with one GET /api/hosts. */
  async hosts(args: string[]): Promise<{ id: string; name: string }[]> {
    const hosts = await this.api.get<{ id: string; name: string }[]>('/api/hosts');
    return args.map((arg) => {
      const found = hosts.find((h) => h.id === arg) ?? hosts.find((h) => h.name === arg) ?? hosts.find((h) => h.name.toLowerCase() === arg.toLowerCase());
      if (!found) throw new Error(`no host with the id or name "${arg}"`);
      return found;
    });
  }
}
