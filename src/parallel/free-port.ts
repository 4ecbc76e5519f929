/**
 * A TCP port that is free on this machine now (the OS picks it), for the rendezvous of local workers
 * (`gmmseg train --nproc`, tests). Another process may take it before rank 0 binds it; the rendezvous then fails
 * with a clear error rather than joining a stranger.
 */
import net from 'node:net';

/** A free port on `host` (default loopback). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
