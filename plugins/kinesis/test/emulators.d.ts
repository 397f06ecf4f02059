declare module 'kinesalite' {
  import type { Server } from 'node:http';
  interface KinesaliteOptions { path?: string; createStreamMs?: number; deleteStreamMs?: number; updateStreamMs?: number; shardLimit?: number; ssl?: boolean }
  function kinesalite(options?: KinesaliteOptions): Server;
  export default kinesalite;
}

declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; ssl?: boolean }
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
