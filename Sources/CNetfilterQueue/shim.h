#ifndef FLOTILLA_CNETFILTERQUEUE_SHIM_H
#define FLOTILLA_CNETFILTERQUEUE_SHIM_H
#include <stdint.h>
#include <arpa/inet.h>
#include <sys/types.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

// The packet id of a queued packet, in host order (the header holds it in network order).
static inline uint32_t flotilla_nfq_packet_id(struct nfq_data *d) {
    struct nfqnl_msg_packet_hdr *h = nfq_get_msg_packet_hdr(d);
    return h ? ntohl(h->packet_id) : 0;
}
// Verdicts Swift cannot import as macros.
static inline uint32_t flotilla_nf_accept(void) { return NF_ACCEPT; }
static inline uint32_t flotilla_nf_drop(void) { return NF_DROP; }
static inline uint8_t flotilla_nfqnl_copy_packet(void) { return NFQNL_COPY_PACKET; }
#endif
