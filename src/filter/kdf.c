/*
 * kdf.c — passphrase to AES key with scrypt
 *
 * scrypt is memory-hard, so guessing passphrases from a stolen archive
 * costs memory as well as time. N=2^15, r=8, p=1 needs 32 MiB and takes
 * some tens of milliseconds: paid once per process, not once per file.
 */
#include "filter/filter.h"

#include <string.h>

#include <openssl/evp.h>

#include "filter/filter_int.h"

#define WS_KDF_N 32768
#define WS_KDF_R 8
#define WS_KDF_P 1
#define WS_KDF_MAXMEM (64 * 1024 * 1024)

int
ws_kdf_scrypt(const char *passphrase, size_t passlen,
			  const uint8_t *salt, size_t saltlen,
			  uint64_t n, uint64_t r, uint64_t p, uint64_t maxmem,
			  uint8_t *key, size_t keylen, struct ws_error *err)
{
	if (EVP_PBE_scrypt(passphrase, passlen, salt, saltlen, n, r, p, maxmem,
					   key, keylen) != 1)
		return ws_filter_openssl_error(err, WS_ERR_INVALID,
									   "could not derive encryption key");
	return WS_OK;
}

int
ws_kdf_derive(const char *passphrase, const uint8_t salt[WS_KDF_SALT_LEN],
			  uint8_t key[WS_AES_KEY_LEN], struct ws_error *err)
{
	if (passphrase == NULL || passphrase[0] == '\0')
		return ws_error_set(err, WS_ERR_INVALID, "encryption passphrase is empty");
	return ws_kdf_scrypt(passphrase, strlen(passphrase), salt, WS_KDF_SALT_LEN,
						 WS_KDF_N, WS_KDF_R, WS_KDF_P, WS_KDF_MAXMEM,
						 key, WS_AES_KEY_LEN, err);
}
