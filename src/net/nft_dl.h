/* libnftables loaded on first use (nft_dl.c): the nft_* functions of
 * <nftables/libnftables.h> are defined there, so nft.c calls them as
 * usual.  Internal to src/net. */
#ifndef BERTH_NET_NFT_DL_H
#define BERTH_NET_NFT_DL_H

/* NULL once libnftables is loaded (loading it if needed), else why it
 * could not be (dlerror's text). */
const char *berth_nft_dl_error(void);

#endif
