/** `[::1]` → `::1`: URLs and users bracket IPv6 hosts, sockets and Consul want them bare. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `::1` → `[::1]`, ready to put before `:port` in a URL; names and IPv4 stay as they are. */
export function bracketHost(host: string): string {
  const bare = stripBrackets(host);
  return bare.includes(':') ? `[${bare}]` : bare;
}
