import { BlockList, isIP } from "node:net";
import ranges from "./cloudflare-ranges.json";

// Cloudflare's published proxy ranges, kept as data (cloudflare-ranges.json):
// a name whose A/AAAA records fall in them is proxied ("orange cloud"), so
// its addresses can never equal Wharf's target and ownership is proven by the
// TXT token instead.
const list = new BlockList();
for (const cidr of ranges.ipv4) {
  const [net, bits] = cidr.split("/");
  list.addSubnet(net, Number(bits), "ipv4");
}
for (const cidr of ranges.ipv6) {
  const [net, bits] = cidr.split("/");
  list.addSubnet(net, Number(bits), "ipv6");
}

export function isCloudflareAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? "ipv4" : "ipv6");
}
